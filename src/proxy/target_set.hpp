#pragma once
// RFC 3261 §16.5 and §16.6: the targets of a request for one of our users, from the location
// service, in the order they are tried: contacts grouped by q-value, highest first; a group is
// tried in parallel, the groups one after another (the forking policy §16.6 leaves to the proxy,
// as RFC 3261 §16.6 and RFC 3841 describe for q-values).

#include <optional>
#include <string>
#include <vector>

#include "registrar/binding.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {

// One target: the URI that becomes the Request-URI, the Route values it needs (RFC 3327: the
// binding's Path) and where to send it when that is already known.
struct ForwardTarget {
  std::string request_uri;
  std::vector<std::string> routes;  // prepended as Route, in order
  // Known destination (a binding's source flow, or an IP literal); empty: resolve `next_hop`.
  std::optional<txn::Target> destination;
  std::string next_hop;  // the URI to resolve when `destination` is empty
};

using TargetGroups = std::vector<std::vector<ForwardTarget>>;

// Bindings to target groups. Where a target is sent (documented choice): the first Path URI
// when the binding has a Path (resolved from its URI); else the binding's source flow, the
// address its REGISTER came from. That reaches UAs behind NAT and is what the UA itself
// registered from; the Contact address would be unreachable in that case.
TargetGroups target_groups(const std::vector<registrar::Binding>& bindings);

// "udp:192.0.2.1:5060" / "tcp:[2001:db8::1]:5061" to a destination; nullopt when unreadable.
std::optional<txn::Target> target_from_source(std::string_view source);

}  // namespace osprey::proxy
