#include "proxy/target_set.hpp"

#include <algorithm>

#include "net/address_text.hpp"
#include "net/target_resolver.hpp"
#include "registrar/binding_hop.hpp"
#include "sip/route.hpp"

namespace osprey::proxy {

ForwardTarget forward_target(std::string request_uri, std::string next_hop) {
  ForwardTarget target;
  target.request_uri = std::move(request_uri);
  target.next_hop = std::move(next_hop);
  return target;
}

std::optional<txn::Target> literal_target(const sip::Uri& uri) {
  auto target = net::target_of(uri);
  if (!target || !target->host_is_address) return std::nullopt;
  const auto address = net::parse_address(target->host);
  if (!address) return std::nullopt;
  txn::Target result;
  result.protocol = target->protocol;
  result.destination = {net::unmapped(*address), target->port};
  return result;
}

TargetGroups target_groups(const std::vector<store::Binding>& bindings,
                           const registrar::ConnectionOpen& connection_open) {
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
    registrar::BindingHops hops = registrar::binding_hops(*binding, connection_open);
    if (binding->outbound && binding->path.empty()) {
      target.outbound_binding = std::make_shared<const store::Binding>(*binding);
      target.flow_failed = hops.flow_failed;
      target.flow_only = true;
    }
    // A WebSocket binding whose connection is gone reaches nobody (registrar/binding_hop.hpp).
    if (hops.uris.empty()) continue;
    target.next_hop = std::move(hops.uris.front());
    target.fallback_hops.assign(std::make_move_iterator(hops.uris.begin() + 1),
                                std::make_move_iterator(hops.uris.end()));
    if (auto uri = sip::parse_uri(target.next_hop)) target.destination = literal_target(*uri);
    // Only the binding's own REGISTER connection may be the peer's (RFC 5626 §5.3); its
    // Contact, a fallback hop, is resolved later and reuses only osprey's connections.
    if (target.destination && hops.first_is_own_flow) target.destination->peer_flow = true;
    // RFC 5626 §5.3: an outbound UDP flow is that source, over UDP, whatever the size
    // (§18.1.1's move to TCP would open a connection the UA never asked for).
    if (target.destination && target.outbound_binding && !net::is_reliable(target.destination->protocol))
      target.destination->keep_udp = true;
    if (groups.empty() || binding->q != last_q) groups.emplace_back();
    last_q = binding->q;
    groups.back().push_back(std::move(target));
  }
  return groups;
}

}  // namespace osprey::proxy
