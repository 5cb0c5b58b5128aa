// RFC 3261 §16.6: forwarding a request to each target of its target set, one q-value group
// at a time: the copy of the request for each branch, its edits, the transport it takes
// (§18.1.1) and a second try after a transport error; RFC 3263 §4.3, the next resolved address
// of the target when one fails. The edits themselves: branch_request.hpp.
#include <algorithm>

#include "proxy/branch_request.hpp"
#include "proxy/proxy_core.hpp"
#include "proxy/response_context.hpp"
#include "proxy/secure_routing.hpp"
#include "security/asserted_identity.hpp"
#include "sip/numeric_headers.hpp"

namespace osprey::proxy {

void ProxyCore::start_next_group(ContextKey key) {
  Context* context = find(key);
  if (context == nullptr) return;
  if (context->next_group >= context->groups.size()) {
    finish_if_done(key);
    return;
  }
  // Copied: starting a branch may end the context (a send that fails at once).
  const std::vector<ForwardTarget> group = context->groups[context->next_group++];
  const std::size_t first = context->branches.size();
  context->branches.resize(first + group.size());
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (find(key) == nullptr) return;
    start_branch(key, first + i, group[i]);
  }
}

void ProxyCore::start_branch(ContextKey key, std::size_t branch, const ForwardTarget& target) {
  if (target.flow_failed) {
    flow_failed(key, branch, target.outbound_binding.get());
    return;
  }
  if (Context* context = find(key)) {
    Branch& state = context->branches[branch];
    state.hops_left.clear();
    state.server_name.clear();
    state.redirect_depth = target.redirect_depth;
  }
  if (target.destination) {
    send_branch(key, branch, target, *target.destination);
    return;
  }
  auto uri = sip::parse_uri(target.next_hop);
  if (!uri) {
    branch_ended(key, branch, 503, nullptr);
    return;
  }
  if (auto literal = literal_target(*uri)) {
    send_branch(key, branch, target, *literal);
    return;
  }
  if (!resolve_ || !net::target_of(*uri)) {
    branch_ended(key, branch, 503, nullptr);
    return;
  }
  find(key)->branches[branch].resolving = true;
  std::weak_ptr<bool> alive = alive_;
  resolve_(*uri, [this, alive, key, branch, target](tl::expected<net::ResolvedTarget, std::string> resolved) {
    if (alive.expired()) return;
    Context* context = find(key);
    if (context == nullptr || context->branches[branch].done) return;
    context->branches[branch].resolving = false;
    if (context->cancelled) {
      branch_ended(key, branch, 487, nullptr);
      return;
    }
    if (!resolved || resolved->hops.empty()) {
      branch_ended(key, branch, 503, nullptr);
      return;
    }
    std::vector<net::ResolvedHop> hops = std::move(resolved->hops);
    order_hops(hops);
    // Every address of the gateway's name is the gateway (is_gateway), not only the first.
    for (const net::ResolvedHop& hop : hops) {
      if (target.routed_to_gateway && !is_gateway(hop.endpoint))
        gateway_endpoints_.push_back({net::unmapped(hop.endpoint.address), hop.endpoint.port});
    }
    const net::ResolvedHop first = hops.front();
    // RFC 3263 §4.3: the others, in order, should this one fail.
    Branch& state = context->branches[branch];
    state.hops_left.assign(hops.begin() + 1, hops.end());
    state.server_name = resolved->server_name;
    send_branch(key, branch, target, txn::Target{first.protocol, first.endpoint, resolved->server_name});
  });
}

void ProxyCore::order_hops(std::vector<net::ResolvedHop>& hops) const {
  if (services_.blocklist != nullptr) services_.blocklist->order(hops);
  if (hops.size() > kMaxHopsPerTarget) hops.resize(kMaxHopsPerTarget);
}

void ProxyCore::remember_failed_hop(const txn::Target& to, HopFailure why, const sip::Message* response) {
  if (services_.blocklist == nullptr || to.destination.port == 0) return;
  switch (why) {
    case HopFailure::transport:
    case HopFailure::timeout: services_.blocklist->failed(to.protocol, to.destination); break;
    case HopFailure::unavailable:
      // RFC 3261 §21.5.4: Retry-After says for how long; without it, nothing to remember.
      if (response != nullptr) {
        if (auto after = sip::retry_after(*response); after && *after)
          services_.blocklist->unavailable_for(to.protocol, to.destination, (*after)->seconds);
      }
      break;
    case HopFailure::refused:
    case HopFailure::itself: break;
  }
}

void ProxyCore::refuse_hop(ContextKey key, std::size_t branch, const ForwardTarget& target, int status,
                           HopFailure why) {
  Context* context = find(key);
  if (context == nullptr) return;
  Branch& state = context->branches[branch];
  state.moved_to_stream = false;
  if (!target.fallback_hops.empty() || !state.hops_left.empty())
    state.retry = std::make_unique<ForwardTarget>(target);
  if (!retry_branch(key, branch, why)) branch_ended(key, branch, status, nullptr);
}

bool ProxyCore::branch_refused(Context& context, ContextKey key, std::size_t branch,
                               const ForwardTarget& target, const txn::Target& to) {
  // Every hop of a target is judged, not only the first (RFC 3263 §4.3 may lead anywhere); a
  // refused one passes the branch to the next (refuse_hop).
  // The gateway dials what it gets: only what osprey routed there itself or access control
  // cleared reaches its address, whatever name or contact led there. A 3xx Contact carries its
  // own judgement (proxy/redirect_targets.hpp).
  const bool may_reach_gateway =
      target.redirect_depth > 0 ? target.redirect_may_reach_gateway : context.may_reach_gateway;
  if (!target.routed_to_gateway && !may_reach_gateway && is_gateway(to.destination)) {
    refuse_hop(key, branch, target, 403);
    return true;
  }
  // RFC 3261 §26.2.2, RFC 5630 §3.1.3: a sips: request never leaves by UDP or TCP.
  if (!hop_allowed(context.tls_only, to.protocol)) {
    refuse_hop(key, branch, target, kNoSecureHopStatus);
    return true;
  }
  // A redirection from a public address never points osprey into a private network.
  if (target.public_only && !is_public_address(to.destination.address)) {
    refuse_hop(key, branch, target, 403);
    return true;
  }
  // A Contact is whatever the registering UA (or the sender of a 3xx) wrote: one naming
  // osprey's own address would bring the request straight back as itself.
  if ((target.binding_address || target.redirect_depth > 0) &&
      identity_.is_ours(net::host_text(to.destination.address), to.destination.port)) {
    refuse_hop(key, branch, target, 482, HopFailure::itself);
    return true;
  }
  return false;
}

sip::Message ProxyCore::branch_request(Context& context, std::size_t branch, const ForwardTarget& target,
                                       const txn::Target& to) {
  // The last branch to send takes `outgoing` itself: with one target, no copy at all.
  const bool more_to_send =
      context.keep_outgoing || context.next_group < context.groups.size() ||
      std::any_of(context.branches.begin(), context.branches.end(), [&](const Branch& other) {
        return &other != &context.branches[branch] && !other.client && !other.done;
      });
  sip::Message message = more_to_send ? context.outgoing.clone() : std::move(context.outgoing);
  message.set_request_uri(target.request_uri);  // §16.6 step 2
  decrement_max_forwards(message);
  // RFC 3323 §5, RFC 3325 §7: what the sender asked to hide stays inside the trust domain.
  if (services_.trusted_peers == nullptr || !services_.trusted_peers->contains(to.destination.address)) {
    security::apply_privacy(message);
  }
  // RFC 3327 §5.3: the binding's Path, in order, before any Route already there.
  if (!target.routes.empty()) message.prepend_header(sip::HeaderId::route, sip::join_routes(target.routes));
  return message;
}

bool ProxyCore::record_and_choose_transport(Context& context, std::size_t branch, const ForwardTarget& target,
                                            sip::Message& message, txn::Target& to, bool may_move) {
  std::size_t our_record_routes = 0;
  std::size_t our_paths = 0;
  if (context.record_route) {
    our_record_routes = add_record_route(context, branch, target, message, to);
  } else if (context.outgoing_method == sip::Method::register_) {
    our_paths = add_path(context, message, to);
  } else {
    our_address(to);  // learnt for loop detection: it is the sent-by of our Via
  }
  if (!may_move || !moves_to_stream(message, to)) return false;
  // §16.6 step 4: the Record-Route names the transport the callee reaches us by: TCP now.
  to.protocol = net::Protocol::tcp;
  to.peer_flow = false;  // osprey's choice of transport: a connection of its own
  for (std::size_t i = 0; i < our_record_routes; ++i)
    message.remove_first_element(sip::HeaderId::record_route);
  for (std::size_t i = 0; i < our_paths; ++i) message.remove_first_element(sip::HeaderId::path);
  if (context.record_route) {
    add_record_route(context, branch, target, message, to);
  } else if (context.outgoing_method == sip::Method::register_) {
    add_path(context, message, to);
  } else {
    our_address(to);
  }
  return true;
}

void ProxyCore::send_branch(ContextKey key, std::size_t branch, const ForwardTarget& target,
                            const txn::Target& to_in) {
  Context* context = find(key);
  if (context == nullptr) return;
  // §16.6 steps 1-7.
  if (branch_refused(*context, key, branch, target, to_in)) return;
  // Whether a second attempt may follow (retry_branch): then `outgoing` must stay for it. A
  // request that may grow past 1300 bytes could move to TCP and come back over UDP.
  const bool may_move =
      to_in.protocol == net::Protocol::udp && !to_in.keep_udp &&
      context->outgoing_method != sip::Method::message &&
      context->request_bytes.size() + kGrowthAllowance + routes_size(target.routes) > kUdpMessageLimit &&
      transport_.sent_by(net::Protocol::tcp, to_in.destination);
  if (may_move || !target.fallback_hops.empty() || !context->branches[branch].hops_left.empty())
    context->keep_outgoing = true;
  sip::Message message = branch_request(*context, branch, target, to_in);
  txn::Target to = to_in;
  const bool moved = record_and_choose_transport(*context, branch, target, message, to, may_move);
  // RFC 3428 §8 / RFC 3261 §18.1.1: a MESSAGE over 1300 bytes must not go over UDP; the table
  // moves it to TCP when osprey can open one, else it is 513 (not stored: it would never fit).
  if (message_too_large_for(*context, to)) {
    branch_ended(key, branch, 513, nullptr);
    return;
  }
  Branch& state = context->branches[branch];
  state.moved_to_stream = moved;
  state.sent_to = to;
  state.flow_only = target.flow_only;
  state.outbound_binding = target.outbound_binding;
  state.answered = false;
  if (moved || !target.fallback_hops.empty() || !state.hops_left.empty()) {
    state.retry = std::make_unique<ForwardTarget>(target);
  } else {
    state.retry.reset();
  }

  auto client = table_.send_request(std::move(message), to);
  if (!client) {
    report_transport_failure(*context, to, "could not send (send error, or no connection could be opened)");
    // RFC 5626 §5.3: the flow closed under us; there is no other way to that binding.
    if (target.flow_only && !moved) {
      flow_failed(key, branch, target.outbound_binding.get());
      return;
    }
    remember_failed_hop(to, HopFailure::transport, nullptr);
    // §16.7 step 3 / §16.9: a transport error.
    if (!retry_branch(key, branch)) branch_ended(key, branch, 503, nullptr);
    return;
  }
  ++counters_.forwarded;
  context = find(key);
  if (context == nullptr) return;
  context->branches[branch].client = *client;
  branches_[key_of(txn::ServerTransactionId{client->index, client->generation})] = BranchRef{key, branch};
}

std::size_t ProxyCore::add_record_route(Context& context, std::size_t branch, const ForwardTarget& target,
                                        sip::Message& message, const txn::Target& to) {
  std::string token;
  if (issuer_) {
    token = issuer_->toward_caller(context.dialog, clock_());
    context.branches[branch].places = issuer_->branch_places(target, to);
  }
  auto at = our_address(to);
  if (!at) return 0;
  std::size_t added = 1;
  // When the request leaves by another transport or address family than it came in on, the two
  // sides of the dialog reach osprey at different addresses: two Record-Route values, the lower
  // one for the caller's side (RFC 5658 §3.2, RFC 3261 §16.6 step 4).
  // A sips: dialog reaches osprey over TLS on the caller's side too (over WSS when that is how
  // the caller came: a WebSocket client has no other way in, RFC 7118 §5).
  const net::Flow& in = context.arrival;
  const net::Protocol inbound_protocol =
      context.tls_only && !net::is_secure(in.protocol) ? net::Protocol::tls : in.protocol;
  if (inbound_protocol != to.protocol || in.remote.address.is_v4() != to.destination.address.is_v4()) {
    if (auto inbound = our_address({inbound_protocol, in.remote, {}})) {
      message.prepend_header(sip::HeaderId::record_route,
                             record_route_value(*inbound, inbound_protocol, token, context.tls_only));
      ++added;
    }
  }
  // §16.6 step 4: our URI with lr, naming the transport the next hop reaches us by.
  message.prepend_header(sip::HeaderId::record_route,
                         record_route_value(*at, to.protocol, token, context.tls_only));
  return added;
}

bool ProxyCore::moves_to_stream(const sip::Message& message, const txn::Target& to) const {
  // The request as it will go, but for our Via (kViaAllowance).
  return message.serialize().size() + kViaAllowance > kUdpMessageLimit &&
         transport_.sent_by(net::Protocol::tcp, to.destination).has_value();
}

bool ProxyCore::retry_branch(ContextKey key, std::size_t branch, HopFailure why) {
  Context* context = find(key);
  if (context == nullptr || branch >= context->branches.size()) return false;
  Branch& state = context->branches[branch];
  // §16.10: no new hop once the request is cancelled (or answered).
  if (state.done || !state.retry || context->cancelled || context->final_sent) return false;
  const ForwardTarget target = *state.retry;
  state.client.reset();
  state.retry.reset();
  if (why == HopFailure::transport && state.moved_to_stream && !state.udp_retried &&
      context->outgoing_method != sip::Method::message) {
    // §18.1.1 asks for TCP above 1300 bytes, but a UA registered over UDP may listen on nothing
    // else: the datagram (perhaps fragmented) is still the better chance than no call.
    state.udp_retried = true;
    ++counters_.udp_after_stream_failure;
    txn::Target to = state.sent_to;
    to.protocol = net::Protocol::udp;
    to.keep_udp = true;
    to.peer_flow = false;
    send_branch(key, branch, target, to);
    return true;
  }
  // A hop that answered (a provisional: ringing, perhaps) and then lost its connection may have
  // the request under way: the same request elsewhere could ring twice. Only a 503 it sent, or
  // osprey's own refusal of the address, moves on after an answer.
  const bool moves_on = !state.answered || why == HopFailure::unavailable || why == HopFailure::refused ||
                        why == HopFailure::itself;
  if (!state.hops_left.empty() && moves_on) {
    // RFC 3263 §4.3: the next address of the same target, as a new client transaction (a new
    // Via branch); upstream sees only the branch's final result.
    const net::ResolvedHop next = state.hops_left.front();
    state.hops_left.erase(state.hops_left.begin());
    state.moved_to_stream = false;
    state.udp_retried = false;
    ++counters_.next_address_after_failure;
    send_branch(key, branch, target, txn::Target{next.protocol, next.endpoint, state.server_name});
    return true;
  }
  // A timeout or a 503 is the address's answer, and a refused address osprey's last word on the
  // target (its other hops, the Request-URI after a dialog's flow, would go round the rule); a
  // binding's other hops are for a connection that could not be used, or a Contact naming us.
  if (why != HopFailure::transport && why != HopFailure::itself) return false;
  if (target.fallback_hops.empty()) return false;
  // A binding's next hop (registrar/binding_hop.hpp): its Contact after its own connection.
  ForwardTarget next = target;
  next.next_hop = std::move(next.fallback_hops.front());
  next.fallback_hops.erase(next.fallback_hops.begin());
  next.destination.reset();
  if (auto uri = sip::parse_uri(next.next_hop)) next.destination = literal_target(*uri);
  state.moved_to_stream = false;
  state.udp_retried = false;
  ++counters_.next_hop_after_transport_error;
  start_branch(key, branch, next);
  return true;
}

}  // namespace osprey::proxy
