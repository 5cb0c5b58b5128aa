#include "client/client_request.hpp"

#include "client/user_agent.hpp"
#include "net/target_resolver.hpp"
#include "sip/uri.hpp"

namespace osprey::client {

namespace {

std::string_view transport_param(net::Protocol protocol) {
  switch (protocol) {
    case net::Protocol::udp: return ";transport=udp";
    case net::Protocol::tcp: return ";transport=tcp";
    case net::Protocol::tls: return ";transport=tls";
  }
  return {};
}

Outcome usage(std::string detail) { return Outcome{std::nullopt, Failure::usage, std::move(detail)}; }

}  // namespace

std::optional<net::Protocol> protocol_named(std::string_view name) { return net::protocol_from_via(name); }

tl::expected<std::string, std::string> destination_uri(std::string_view request_uri,
                                                       const ClientSettings& settings) {
  const auto parsed = sip::parse_uri(request_uri);
  if (!parsed || !parsed->is_sip()) return tl::unexpected("not a SIP URI: " + std::string(request_uri));
  std::string destination;
  if (!settings.server.empty()) {
    destination = "sip:" + settings.server;
  } else if (settings.transport) {
    // The host and port of the URI; its own parameters give way to the transport asked for.
    destination = std::string(parsed->scheme_name) + ":" + std::string(parsed->host);
    if (parsed->has_port) destination += ":" + std::to_string(parsed->port);
  } else {
    return std::string(request_uri);
  }
  if (settings.transport) destination += transport_param(*settings.transport);
  const auto checked = sip::parse_uri(destination);
  if (!checked || checked->host.empty()) return tl::unexpected("not a usable server: " + settings.server);
  return destination;
}

Outcome send_request(std::string_view request_uri, const ClientSettings& settings, const RequestMaker& make) {
  auto destination = destination_uri(request_uri, settings);
  if (!destination) return usage(destination.error());
  const auto uri = sip::parse_uri(*destination);
  if (!uri) return usage("not a SIP URI: " + *destination);
  // RFC 3263 §4.1: an unsupported transport is the user's mistake, not the network's.
  if (auto target = net::target_of(*uri); !target) return usage(target.error());

  UserAgent agent(UserAgentSettings{settings.timers, settings.timeout});
  auto resolved = agent.resolve(*uri);
  if (!resolved)
    return Outcome{std::nullopt, Failure::unreachable,
                   "cannot resolve " + *destination + ": " + resolved.error()};
  if (resolved->protocol == net::Protocol::tls)
    return usage("--transport tls is not supported by the client tools yet");

  Outcome outcome{std::nullopt, Failure::unreachable, "no address for " + *destination};
  for (const net::Endpoint& endpoint : resolved->endpoints) {
    auto local = agent.open(resolved->protocol, endpoint);
    if (!local) {
      outcome = Outcome{std::nullopt, Failure::unreachable, local.error()};
      continue;
    }
    auto request = make(*local, resolved->protocol);
    if (!request) return usage("cannot build the request: " + request.error().reason);
    outcome =
        agent.send(std::move(*request), txn::Target{resolved->protocol, endpoint, resolved->server_name});
    if (outcome.failure == Failure::unreachable) {
      outcome.detail = net::to_string(endpoint) + " over " + std::string(net::via_token(resolved->protocol)) +
                       ": " + outcome.detail;
      continue;
    }
    if (outcome.failure == Failure::timeout) {
      outcome.detail = net::to_string(endpoint) + " over " + std::string(net::via_token(resolved->protocol)) +
                       ": " + outcome.detail;
    }
    return outcome;
  }
  return outcome;
}

}  // namespace osprey::client
