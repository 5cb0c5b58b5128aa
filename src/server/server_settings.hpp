#pragma once
// What the server core needs to run, independent of how it was configured (the app layer turns
// the TOML config into this). Everything is validated before it gets here.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "im/message_rules.hpp"
#include "net/destination_blocklist.hpp"
#include "net/dns_settings.hpp"
#include "net/flow.hpp"
#include "net/stream_transport.hpp"
#include "proxy/redirect_targets.hpp"
#include "registrar/register_request.hpp"
#include "sbc/trunk.hpp"
#include "security/security_settings.hpp"
#include "sip/message.hpp"
#include "store/message_store.hpp"
#include "txn/transaction_env.hpp"

namespace osprey::server {

struct ListenSpec {
  net::Protocol protocol = net::Protocol::udp;
  net::Endpoint at;  // port 0: the system picks one (tests); every worker then binds that port
};

struct TlsSpec {
  std::string certificate;  // PEM chain; empty: no TLS listener
  std::string private_key;
  std::string ca_file;  // verifies servers osprey connects to; empty: the system store
  // How often the certificate files are checked for a change (SIGHUP reloads at once).
  std::chrono::milliseconds reload_check{2000};
};

struct ServerSettings {
  unsigned workers = 1;
  std::vector<ListenSpec> listen;
  std::vector<std::string> domains;
  sip::ParseOptions parse;  // datagram limits; streams use the same sizes
  net::StreamLimits streams;
  std::size_t max_connections = 10000;
  std::size_t max_connections_per_ip = 64;
  std::size_t max_connections_per_network = 256;  // per IPv4 /24 or IPv6 /64
  TlsSpec tls;                                    // for the TLS and WSS listeners alike
  net::WebSocketPolicy websocket;                 // the ws and wss listeners' upgrade policy (RFC 7118)
  // The RFC 3263 resolver of every worker (one c-ares channel and cache each).
  net::DnsSettings dns;
  txn::TimerSettings timers;
  // The registrar: its limits, and where its durable location store lives. An empty data_dir
  // keeps bindings in memory only (tests).
  registrar::RegistrarLimits registrar;
  // RFC 3261 §10.3 step 1: a REGISTER for a domain not served here is proxied (with a Path of
  // ours, RFC 3327) instead of refused 403; off by default (docs/security.md).
  bool forward_foreign_register = false;
  std::string data_dir;
  // RFC 3428 MESSAGE: the body limit (413), and the store-and-forward limits. The message store
  // and the user accounts live in data_dir too; without one, MESSAGEs are never stored.
  im::ImLimits im;
  store::MessageLimits messages;
  security::SecuritySettings security;
  // RFC 3263 §4.3: how long a failed destination is tried last, per worker; and §16.5 / §16.7
  // step 4, recursion on 3xx.
  net::BlocklistSettings blocklist;
  proxy::RedirectSettings redirects;
  // SBC mode: trunks and the routes toward them (sbc/trunk.hpp); no trunk: no B2BUA.
  sbc::SbcSettings sbc;
};

}  // namespace osprey::server
