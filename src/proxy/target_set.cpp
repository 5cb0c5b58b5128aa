#include "proxy/target_set.hpp"

#include <algorithm>
#include <charconv>

#include "net/address_text.hpp"
#include "net/target_resolver.hpp"
#include "registrar/binding_hop.hpp"
#include "sip/route.hpp"

namespace osprey::proxy {

std::optional<txn::Target> target_from_source(std::string_view source) {
  const auto colon = source.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view scheme = source.substr(0, colon);
  const std::string_view rest = source.substr(colon + 1);
  const auto port_colon = rest.rfind(':');
  if (port_colon == std::string_view::npos) return std::nullopt;
  std::string_view host = rest.substr(0, port_colon);
  const std::string_view port_text = rest.substr(port_colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto protocol = net::protocol_from_via(scheme);
  if (!protocol) return std::nullopt;
  std::uint16_t port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0) return std::nullopt;
  boost::system::error_code bad;
  const auto address = boost::asio::ip::make_address(std::string(host), bad);
  if (bad) return std::nullopt;
  txn::Target target;
  target.protocol = *protocol;
  target.destination = {address, port};
  return target;
}

ForwardTarget forward_target(std::string request_uri, std::string next_hop) {
  ForwardTarget target;
  target.request_uri = std::move(request_uri);
  target.next_hop = std::move(next_hop);
  return target;
}

std::optional<txn::Target> literal_target(const sip::Uri& uri) {
  auto target = net::target_of(uri);
  if (!target || !target->host_is_address) return std::nullopt;
  boost::system::error_code bad;
  const auto address = boost::asio::ip::make_address(target->host, bad);
  if (bad) return std::nullopt;
  txn::Target result;
  result.protocol = target->protocol;
  result.destination = {net::unmapped(address), target->port};
  return result;
}

TargetGroups target_groups(const std::vector<store::Binding>& bindings, const SourceFlowOpen& flow_open) {
  std::vector<const store::Binding*> sorted;
  for (const auto& binding : bindings) sorted.push_back(&binding);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->q > b->q; });
  TargetGroups groups;
  int last_q = -1;
  for (const store::Binding* binding : sorted) {
    ForwardTarget target;
    target.request_uri = binding->contact;
    target.routes = binding->path;
    target.binding_address = binding->path.empty();
    const bool source_open = flow_open && flow_open(binding->source);
    std::vector<std::string> hops = registrar::binding_next_hops(*binding, source_open);
    target.next_hop = std::move(hops.front());
    target.fallback_hops.assign(std::make_move_iterator(hops.begin() + 1),
                                std::make_move_iterator(hops.end()));
    if (auto uri = sip::parse_uri(target.next_hop)) target.destination = literal_target(*uri);
    // Only the binding's own REGISTER connection may be the peer's (RFC 5626 §5.3); its
    // Contact, a fallback hop, is resolved later and reuses only osprey's connections.
    if (target.destination && registrar::first_hop_is_own_flow(*binding, source_open))
      target.destination->peer_flow = true;
    if (groups.empty() || binding->q != last_q) groups.emplace_back();
    last_q = binding->q;
    groups.back().push_back(std::move(target));
  }
  return groups;
}

}  // namespace osprey::proxy
