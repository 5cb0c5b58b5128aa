#pragma once
// One request of a client tool from start to end: where it goes (--server, else the
// Request-URI's target), the local socket, the request itself, and its outcome.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "client/outcome.hpp"
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
};

// Builds the request once the local address is known (REGISTER's Contact needs it).
using RequestMaker =
    std::function<sip::Result<sip::Message>(const net::Endpoint& local, net::Protocol protocol)>;

// The URI requests go to: "sip:" + settings.server when it is set, else `request_uri` itself;
// with the transport override as its transport parameter. Error: not a usable URI.
tl::expected<std::string, std::string> destination_uri(std::string_view request_uri,
                                                       const ClientSettings& settings);

// Resolves the destination, binds a socket, builds the request with `make` and sends it,
// trying the resolved addresses in turn while they are unreachable (RFC 3263 §4.3).
Outcome send_request(std::string_view request_uri, const ClientSettings& settings, const RequestMaker& make);

// Parses "udp", "tcp", "tls" (any case).
std::optional<net::Protocol> protocol_named(std::string_view name);

}  // namespace osprey::client
