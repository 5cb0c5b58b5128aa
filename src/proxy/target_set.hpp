#pragma once
// RFC 3261 §16.5 and §16.6: the targets of a request for one of our users, from the location
// service, in the order they are tried: contacts grouped by q-value, highest first; a group is
// tried in parallel, the groups one after another (the forking policy §16.6 leaves to the proxy,
// as RFC 3261 §16.6 and RFC 3841 describe for q-values).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "registrar/binding_hop.hpp"
#include "sip/uri.hpp"
#include "store/binding.hpp"
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
  // A binding's further hops (registrar/binding_hop.hpp), tried in order after a transport
  // error on this one: the Contact after the REGISTER's own connection.
  std::vector<std::string> fallback_hops;
  // osprey chose the gateway itself (a number with no account): its address may be reached
  // whatever access control said. Never set for a binding, whose Contact anyone may write.
  bool routed_to_gateway = false;
  // A binding's own address (Contact or source flow, not a Path): never osprey itself, where it
  // would come back as the same request (a Contact naming osprey's own address).
  bool binding_address = false;
  // RFC 5626 §5.3: the binding is bound to its flow (store::Binding::outbound): a transport
  // error on it fails the flow (430, and the binding is removed), with no other hop to try.
  std::shared_ptr<const store::Binding> outbound_binding;
  // That flow is already gone: the branch is 430 without sending anything.
  bool flow_failed = false;
  // The destination is a flow and nothing else (an outbound binding, or a Path flow of ours):
  // a transport error on it is 430 (Flow Failed), not a reason to try another hop.
  bool flow_only = false;
  // Learnt from a 3xx Contact (proxy/redirect_targets.hpp, §16.5): how many redirections led
  // here (0: none); whether it may reach the gateway's address (its own judgement, which
  // replaces the request's: a clean number the dial policy passed); and whether every hop of
  // it must be a public address (the 3xx came from one).
  std::uint8_t redirect_depth = 0;
  bool redirect_may_reach_gateway = false;
  bool public_only = false;
};

// A target with only a Request-URI and the URI of its next hop.
ForwardTarget forward_target(std::string request_uri, std::string next_hop);

using TargetGroups = std::vector<std::vector<ForwardTarget>>;

// Bindings to target groups. Where each target is sent is registrar::binding_hops: the
// first Path URI; over TCP/TLS the REGISTER's connection while it is open, else the Contact;
// over UDP the Contact, or the source address behind NAT. An IP-literal hop is resolved here
// (`destination`); the other hops wait in `fallback_hops`. `connection_open` null: no
// connection is open.
TargetGroups target_groups(const std::vector<store::Binding>& bindings,
                           const registrar::ConnectionOpen& connection_open = {});

// An IP-literal URI's destination (transport, address, port); nullopt for a host name or a URI
// osprey cannot send to.
std::optional<txn::Target> literal_target(const sip::Uri& uri);

}  // namespace osprey::proxy
