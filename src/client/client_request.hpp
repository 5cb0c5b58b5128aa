#pragma once
// One request of a client tool from start to end: where it goes (--server, else the
// Request-URI's target), the local socket, the request itself, and its outcome.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "client/digest_credentials.hpp"
#include "client/outcome.hpp"
#include "client/user_agent.hpp"
#include "net/dns_settings.hpp"
#include "net/flow.hpp"
#include "sip/message.hpp"
#include "txn/transaction_env.hpp"

namespace osprey::client {

struct ClientSettings {
  // "host[:port]": the next hop (an outbound proxy) for every request, whatever its Request-URI.
  std::string server;
  // Overrides the transport the URI implies (RFC 3263 §4.1).
  std::optional<net::Protocol> transport;
  std::chrono::milliseconds timeout{0};  // zero: Timer F alone (64*T1 = 32 s)
  txn::TimerSettings timers;
  // PEM CA certificates that a TLS server's certificate must chain to (RFC 3261 §26.2.1);
  // empty: the system's store.
  std::filesystem::path ca_file;
  // The DNS servers names are resolved with (RFC 3263); empty: the system's.
  net::DnsSettings dns;
  // Answers 401/407 challenges (RFC 3261 §22.2, §22.3); none: a challenge is the final response.
  std::optional<DigestAccount> account;
};

// Builds the request once the local address is known (REGISTER's Contact needs it).
using RequestMaker =
    std::function<sip::Result<sip::Message>(const net::Endpoint& local, net::Protocol protocol)>;

// The URI requests go to: "sip:" + settings.server when it is set, else `request_uri` itself;
// with the transport override as its transport parameter. Error: not a usable URI.
tl::expected<std::string, std::string> destination_uri(std::string_view request_uri,
                                                       const ClientSettings& settings);

// A user agent ready to send toward a destination: the URI (destination_uri), what it
// resolved to, and the agent (with a client TLS context when the transport is TLS).
struct PreparedAgent {
  std::unique_ptr<UserAgent> agent;
  std::string destination;
  net::ResolvedTarget resolved;
};

// Checks the destination, makes the agent and resolves. The error is the Outcome to report:
// usage (bad URI, unsupported transport, unreadable CA file) or unreachable (no address).
tl::expected<PreparedAgent, Outcome> prepare_agent(std::string_view request_uri,
                                                   const ClientSettings& settings);

// What one request became, and where it went when a server answered or timed out.
struct Delivery {
  Outcome outcome;
  std::optional<txn::Target> target;  // the address that answered (for later requests)
  net::Endpoint local;                // our address toward it (Contact, Via)
  // The CSeq the request last went out with: each challenge round raises it (§8.1.3.5).
  std::uint32_t cseq = 0;
};

// Binds a socket, builds the request with `make` and sends it, trying the resolved addresses
// in turn while they are unreachable (RFC 3263 §4.3), and answering its challenges with
// `credentials` (authenticated_send.hpp; null: challenges are final).
Delivery send_to_first_reachable(PreparedAgent& prepared, const RequestMaker& make,
                                 DigestCredentials* credentials = nullptr);

// prepare_agent and send_to_first_reachable: one request from start to end, with the
// credentials of settings.account when it has one.
Outcome send_request(std::string_view request_uri, const ClientSettings& settings, const RequestMaker& make);

// Parses "udp", "tcp", "tls" (any case).
std::optional<net::Protocol> protocol_named(std::string_view name);

}  // namespace osprey::client
