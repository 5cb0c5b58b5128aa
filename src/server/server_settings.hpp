#pragma once
// What the server core needs to run, independent of how it was configured (the app layer turns
// the TOML config into this). Everything is validated before it gets here.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "im/message_rules.hpp"
#include "net/flow.hpp"
#include "net/stream_transport.hpp"
#include "registrar/register_request.hpp"
#include "security/address_set.hpp"
#include "security/ban_table.hpp"
#include "security/dial_policy.hpp"
#include "security/rate_limiter.hpp"
#include "sip/auth_headers.hpp"
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

// Authentication, bans, rate limits, scanners, the trust domain and the dial policy.
// The defaults are the safe ones (authentication on); the config's [security] maps onto this.
struct SecuritySettings {
  bool authentication = true;
  bool accept_inbound = true;  // other domains may reach our users without an account here
  std::int64_t nonce_lifetime = 300;
  std::int64_t dialog_token_lifetime = 43200;  // security/dialog_token.hpp
  // Challenged in this order (RFC 8760 §2.4); some clients read only the first challenge.
  std::vector<sip::DigestAlgorithm> digest_algorithms = {sip::DigestAlgorithm::sha256,
                                                         sip::DigestAlgorithm::md5};
  // User-Agent prefixes (case-insensitive) challenged with MD5 alone, when MD5 is in
  // digest_algorithms (security/md5_only_clients.hpp); empty: none.
  std::vector<std::string> md5_only_user_agents;
  security::AddressSet trusted_peers;            // RFC 3325 trust domain: not challenged, PAI believed
  std::vector<std::string> scanner_user_agents;  // dropped without an answer; empty: none
  security::BanPolicy bans;
  security::RateLimit rate_limit;  // per source and worker; requests_per_second 0: off
  security::DialPolicyConfig dial_policy;
  std::string gateway;  // sip: URI where numbers without an account go; empty: nowhere
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
  TlsSpec tls;
  txn::TimerSettings timers;
  // The registrar: its limits, and where its durable location store lives. An empty data_dir
  // keeps bindings in memory only (tests).
  registrar::RegistrarLimits registrar;
  std::string data_dir;
  // RFC 3428 MESSAGE: the body limit (413), and the store-and-forward limits. The message store
  // and the user accounts live in data_dir too; without one, MESSAGEs are never stored.
  im::ImLimits im;
  store::MessageLimits messages;
  SecuritySettings security;
};

}  // namespace osprey::server
