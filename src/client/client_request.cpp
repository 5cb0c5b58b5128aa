#include "client/client_request.hpp"

#include "client/authenticated_send.hpp"
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
    case net::Protocol::ws: return ";transport=ws";
    case net::Protocol::wss: return ";transport=wss";
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

tl::expected<PreparedAgent, Outcome> prepare_agent(std::string_view request_uri,
                                                   const ClientSettings& settings) {
  auto destination = destination_uri(request_uri, settings);
  if (!destination) return tl::unexpected(usage(destination.error()));
  const auto uri = sip::parse_uri(*destination);
  if (!uri) return tl::unexpected(usage("not a SIP URI: " + *destination));
  // RFC 3263 §4.1: an unsupported transport is the user's mistake, not the network's.
  auto target = net::target_of(*uri);
  if (!target) return tl::unexpected(usage(target.error()));

  UserAgentSettings agent_settings{settings.timers, settings.timeout, nullptr, settings.dns};
  if (net::is_secure(target->protocol)) {
    // Only for TLS and WSS: a host without a system CA store can still use UDP and TCP.
    auto tls = net::TlsContextStore::create_client(settings.ca_file);
    if (!tls) return tl::unexpected(usage(tls.error()));
    agent_settings.tls = std::move(*tls);
  }
  PreparedAgent prepared{std::make_unique<UserAgent>(std::move(agent_settings)), *destination, {}};
  auto resolved = prepared.agent->resolve(*uri);
  if (!resolved) {
    return tl::unexpected(Outcome{std::nullopt, Failure::unreachable,
                                  "cannot resolve " + *destination + ": " + resolved.error()});
  }
  prepared.resolved = std::move(*resolved);
  return prepared;
}

Delivery send_to_first_reachable(PreparedAgent& prepared, const RequestMaker& make,
                                 DigestCredentials* credentials) {
  const net::ResolvedTarget& resolved = prepared.resolved;
  // What the last unreachable address left, for when none answers: no target to keep.
  Delivery unreachable{Outcome{std::nullopt, Failure::unreachable, "no address for " + prepared.destination},
                       std::nullopt,
                       {}};
  for (const net::ResolvedHop& hop : resolved.hops) {
    const net::Endpoint& endpoint = hop.endpoint;
    auto local = prepared.agent->open(hop.protocol, endpoint);
    if (!local) {
      unreachable.outcome = Outcome{std::nullopt, Failure::unreachable, local.error()};
      continue;
    }
    auto request = make(*local, hop.protocol);
    if (!request)
      return Delivery{usage("cannot build the request: " + request.error().reason), std::nullopt, {}};
    const txn::Target target{hop.protocol, endpoint, resolved.server_name};
    AuthenticatedOutcome sent = send_authenticated(*prepared.agent, std::move(*request), target, credentials);
    Outcome outcome = std::move(sent.outcome);
    if (outcome.failure == Failure::unreachable || outcome.failure == Failure::timeout) {
      outcome.detail = net::to_string(endpoint) + " over " + std::string(net::via_token(hop.protocol)) +
                       ": " + outcome.detail;
    }
    if (outcome.failure != Failure::unreachable)
      return Delivery{std::move(outcome), target, *local, sent.cseq};
    unreachable = Delivery{std::move(outcome), std::nullopt, *local, sent.cseq};
  }
  return unreachable;
}

Outcome send_request(std::string_view request_uri, const ClientSettings& settings, const RequestMaker& make) {
  auto prepared = prepare_agent(request_uri, settings);
  if (!prepared) return std::move(prepared.error());
  std::optional<DigestCredentials> credentials;
  if (settings.account) credentials.emplace(*settings.account);
  return std::move(send_to_first_reachable(*prepared, make, credentials ? &*credentials : nullptr).outcome);
}

}  // namespace osprey::client
