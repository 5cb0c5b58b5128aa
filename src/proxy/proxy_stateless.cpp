// The parts of RFC 3261 §16 that need no response context: the ACK for a 2xx (§16.11: its own
// end-to-end request, forwarded statelessly along its route set), and 2xx responses to an
// INVITE that come after the context answered (RFC 6026 §7.1: through the INVITE's server
// transaction while Accepted, later statelessly along the Vias).
#include "proxy/branch_request.hpp"
#include "proxy/consumed_credentials.hpp"
#include "proxy/dialog_flow_hop.hpp"
#include "proxy/proxy_core.hpp"
#include "proxy/response_context.hpp"
#include "proxy/secure_routing.hpp"
#include "sip/aor.hpp"
#include "sip/host.hpp"

namespace osprey::proxy {

void ProxyCore::on_ack(const sip::Message& ack, const net::Flow& /*flow*/, bool may_reach_gateway,
                       const std::optional<security::DialogFlow>& dialog_flow) {
  if (ack.max_forwards() && *ack.max_forwards() == 0) return;
  forward_ack(ack.clone(), may_reach_gateway, dialog_flow);
}

void ProxyCore::report_ack_dropped(const sip::Message& ack, std::string_view why) const {
  if (events_.ack_dropped) events_.ack_dropped(ack, why);
}

bool ProxyCore::ack_hop_refused(const sip::Message& ack, const txn::Target& to, bool may_reach_gateway,
                                bool tls_only) const {
  // As for a branch (send_branch): the gateway unjudged, or a plain hop in a sips: dialog
  // (RFC 3261 §26.2.2), is no place to send it.
  if (!may_reach_gateway && is_gateway(to.destination)) {
    report_ack_dropped(ack, "toward the gateway, not judged for it");
    return true;
  }
  if (!hop_allowed(tls_only, to.protocol)) {
    report_ack_dropped(ack, "a sips: dialog, and the hop is not TLS");
    return true;
  }
  return false;
}

void ProxyCore::send_ack_to(sip::Message ack, const txn::Target& to, bool may_reach_gateway, bool tls_only) {
  if (ack_hop_refused(ack, to, may_reach_gateway, tls_only)) return;
  if (table_.send_ack(std::move(ack), to)) ++counters_.acks_forwarded;
}

void ProxyCore::forward_ack(sip::Message ack, bool may_reach_gateway,
                            const std::optional<security::DialogFlow>& dialog_flow) {
  // The ACK for a 2xx is its own end-to-end request (§13.2.2.4): it follows its Route set.
  auto route = sip::process_routes(ack, identity_);
  if (!route) {
    report_ack_dropped(ack, "its Route set cannot be followed");
    return;
  }
  // §22.3: the ACK of a 2xx repeats the INVITE's credentials (§13.2.2.4); those for osprey's
  // realms were osprey's and go no further, as for every other request.
  remove_consumed_credentials(ack, identity_);
  const bool tls_only = requires_tls(*route);  // RFC 3261 §26.2.2: the ACK of a sips: dialog too
  const bool last_hop = route->routes.empty();
  auto uri = sip::parse_uri(route->next_hop);
  if (!uri) {
    report_ack_dropped(ack, "its next hop is not a URI");
    return;
  }
  if (last_hop && identity_.serves_uri(*uri)) {
    forward_ack_to_user(std::move(ack), *uri, may_reach_gateway, tls_only);
    return;
  }
  if (last_hop && identity_.is_ours(*uri)) return;  // for us: absorbed
  decrement_max_forwards(ack);
  // The ACK for a 2xx goes the way the dialog's other requests go: over the peer's flow when its
  // token names one osprey can use (dialog_flow_hop), else to the Request-URI.
  std::optional<txn::Target> literal;
  if (last_hop && dialog_flow) literal = dialog_flow_hop(*dialog_flow, *uri, tls_only, transport_);
  if (literal && identity_.is_ours(net::host_text(literal->destination.address), literal->destination.port))
    literal.reset();
  if (!literal) literal = literal_target(*uri);
  if (literal) {
    send_ack_to(std::move(ack), *literal, may_reach_gateway, tls_only);
    return;
  }
  if (!resolve_) return;
  auto shared = std::make_shared<sip::Message>(std::move(ack));
  std::weak_ptr<bool> alive = alive_;
  resolve_(*uri, [this, alive, shared, may_reach_gateway,
                  tls_only](tl::expected<net::ResolvedTarget, std::string> resolved) {
    if (alive.expired() || !resolved || resolved->hops.empty()) return;
    // The ACK for a 2xx is sent once, without a transaction to tell a failure (§17.1.1.3): to
    // the first address of the target that did not fail a moment ago (RFC 3263 §4.3).
    order_hops(resolved->hops);
    send_ack_to(std::move(*shared),
                {resolved->hops.front().protocol, resolved->hops.front().endpoint, resolved->server_name},
                may_reach_gateway, tls_only);
  });
}

void ProxyCore::forward_ack_to_user(sip::Message ack, const sip::Uri& uri, bool may_reach_gateway,
                                    bool tls_only) {
  // To one of our users: the highest-q binding (the dialog's peer is normally reached by its
  // contact in the Request-URI; this covers UAs whose ACK names the AOR).
  const auto groups = target_groups(location_.lookup(sip::canonical_aor(uri), clock_()), source_flow_open());
  if (groups.empty() || !groups.front().front().destination || groups.front().front().flow_failed) {
    report_ack_dropped(ack, "the served user it names has no usable binding");
    return;
  }
  const ForwardTarget& target = groups.front().front();
  // As for a branch (send_branch): a Contact naming osprey is no place to send it.
  const net::Endpoint& to = target.destination->destination;
  if (target.binding_address && identity_.is_ours(net::host_text(to.address), to.port)) return;
  if (ack_hop_refused(ack, *target.destination, may_reach_gateway, tls_only)) return;
  ack.set_request_uri(target.request_uri);
  decrement_max_forwards(ack);
  if (table_.send_ack(std::move(ack), *target.destination)) ++counters_.acks_forwarded;
}

void ProxyCore::remember_accepted(const Context& context, std::size_t branch) {
  const Branch& answered = context.branches[branch];
  if (!answered.client) return;
  AcceptedBranch accepted{context.server, false, {}, {}, {}};
  if (issuer_ && context.record_route) {
    // Only what the caller's token needs, and only when tokens are issued: an entry lives 40 s
    // per answered call.
    accepted.record_route = true;
    accepted.dialog = context.dialog;
    accepted.places = answered.places;
    accepted.flow = branch_flow(answered);
  }
  accepted_.remember(key_of(txn::ServerTransactionId{answered.client->index, answered.client->generation}),
                     std::move(accepted), clock_());
}

bool ProxyCore::forward_accepted_2xx(txn::ClientTransactionId transaction, const sip::Message& response) {
  if (response.status() < 200 || response.status() >= 300) return false;
  const AcceptedBranch* accepted =
      accepted_.find(key_of(txn::ServerTransactionId{transaction.index, transaction.generation}), clock_());
  if (accepted == nullptr) return false;
  // §16.7 steps 3-5 as for the first 2xx: our Via off, the caller's token in our Record-Route.
  sip::Message copy = response.clone();
  copy.remove_first_element(sip::HeaderId::via);
  if (issuer_ && accepted->record_route)
    issuer_->give_caller_token(copy, accepted->dialog, accepted->places, accepted->flow, clock_());
  if (!table_.respond(accepted->server, copy)) return false;
  ++counters_.stray_forwarded;
  return true;
}

bool ProxyCore::forward_late_2xx(const sip::Message& response) {
  if (response.status() < 200 || response.status() >= 300 || !response.cseq() ||
      response.cseq()->method != sip::Method::invite) {
    return false;
  }
  forward_2xx_upstream(response);
  return true;
}

void ProxyCore::on_stray_response(const sip::Message& /*response*/, const net::Flow& /*flow*/) {
  // RFC 6026 §7.3: a transaction-stateful proxy "MUST NOT forward the response if there is no
  // matching transaction state machine". The §16.7 robustness rule it replaces let anyone who wrote osprey's
  // address in a top Via have a response (and its body) relayed to the address of the second, and two proxies
  // bounce it. Late 2xx of a fork still reach the caller: their client transaction stays in Accepted (RFC
  // 6026 §7.2) and passes them up to forward_late_2xx.
  ++counters_.stray_dropped;
}

void ProxyCore::forward_2xx_upstream(const sip::Message& response) {
  // A 2xx to an INVITE of ours whose server transaction has answered already goes on to the
  // next Via, if the top one is ours.
  if (!response.top_via()) return;
  const sip::Via& top = *response.top_via();
  const auto top_protocol = net::protocol_from_via(top.transport).value_or(net::Protocol::udp);
  if (!identity_.is_ours(top.host, top.has_port ? top.port : net::default_port(top_protocol))) return;
  sip::Message copy = response.clone();
  copy.remove_first_element(sip::HeaderId::via);
  auto reparsed = copy.reparsed();
  if (!reparsed || !reparsed->top_via()) return;
  const sip::Via& next = *reparsed->top_via();
  // Anyone can put our address in a top Via, so what goes out here must not open anything new:
  // UDP only (over TCP or TLS it would open a connection to any host the Via names; a caller on
  // a stream got the first 2xx over it reliably), and never to ourselves (each pass would strip
  // one Via and send again: a loop fed by one datagram).
  if (net::protocol_from_via(next.transport) != net::Protocol::udp) return;
  // §18.2.2 and RFC 3581 §4: received (else the sent-by host) and rport (else the sent-by port).
  const std::string host(sip::without_brackets(next.has_received ? next.received : next.host));
  boost::system::error_code bad;
  const auto address = boost::asio::ip::make_address(host, bad);
  if (bad) return;
  std::uint16_t port = next.has_port ? next.port : net::default_port(net::Protocol::udp);
  if (next.has_rport && !next.rport.empty()) {
    unsigned value = 0;
    bool digits = next.rport.size() <= 5;
    for (char c : next.rport) {
      if (c < '0' || c > '9') digits = false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (digits && value > 0 && value < 65536) port = static_cast<std::uint16_t>(value);
  }
  if (identity_.is_ours(net::host_text(address), port)) return;
  if (transport_.send_to(net::Protocol::udp, {address, port}, reparsed->serialize()))
    ++counters_.stray_forwarded;
}

}  // namespace osprey::proxy
