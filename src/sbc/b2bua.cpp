// The B2BUA's calls: taking a new call from the pipeline, building its legs, routing the
// callee leg (trunk failover), and releasing calls.
#include "sbc/b2bua.hpp"

#include "net/address_text.hpp"
#include "registrar/address_scope.hpp"
#include "sbc/identity_normalizer.hpp"
#include "sbc/leg_request.hpp"
#include "sbc/trunk_routing.hpp"
#include "security/asserted_identity.hpp"
#include "sip/aor.hpp"
#include "sip/builder.hpp"

namespace osprey::sbc {

B2bua::B2bua(unsigned worker, const SbcSettings& settings, txn::TransactionTable& table,
             net::Transport& transport, const net::LocalIdentity& identity, Resolve resolve,
             UserLocation users)
    : worker_(worker),
      trunk_set_(std::make_shared<const TrunkSet>(settings)),
      table_(table),
      transport_(transport),
      identity_(identity),
      resolve_(std::move(resolve)),
      users_(std::move(users)) {}

void B2bua::start_registrations(const TrunkRegistrations::ContactFor& contact_for, txn::TimePoint now) {
  bool any = false;
  for (const Trunk& trunk : trunk_set_->directory.all()) any = any || trunk.registration.enabled;
  if (!any) return;
  registrations_.emplace(trunk_set_->directory.all(), contact_for, table_, resolve_);
  registrations_->start(now);
}

CallRef B2bua::allocate() {
  std::uint32_t index = 0;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(calls_.size());
    calls_.emplace_back();
  }
  Call& call = calls_[index];
  call.in_use = true;
  call.trunk_set = trunk_set_;
  ++live_calls_;
  ++counters_.calls_started;
  return {index, call.generation};
}

Call* B2bua::find(CallRef ref) {
  if (ref.index >= calls_.size()) return nullptr;
  Call& call = calls_[ref.index];
  return call.in_use && call.generation == ref.generation ? &call : nullptr;
}

std::string B2bua::new_leg_id(CallRef ref, LegSide side) {
  std::string id = leg_ids_.next();
  legs_.insert_or_assign(id, LegEntry{ref, side});
  return id;
}

void B2bua::release(CallRef ref) {
  Call* call = find(ref);
  if (call == nullptr) return;
  if (call->state == CallState::confirmed) unindex_call(*call);
  if (!call->caller.leg_id.empty()) legs_.erase(call->caller.leg_id);
  if (!call->callee.leg_id.empty()) legs_.erase(call->callee.leg_id);
  invite_servers_.erase(key(call->invite_server));
  if (call->invite_client) invite_clients_.erase(key(*call->invite_client));
  // Requests still waiting on the other leg: their senders get 481 (the dialog is gone,
  // §12.2.2); their client transactions run out on their own.
  const std::vector<txn::ClientTransactionId> pending = std::move(call->pending);
  for (const txn::ClientTransactionId client : pending) {
    auto it = pending_.find(key(client));
    if (it == pending_.end()) continue;
    if (it->second.request)
      answer(it->second.server, *it->second.request, it->second.method == sip::Method::invite ? 487 : 481);
    pending_by_server_.erase(key(it->second.server));
    pending_.erase(it);
  }
  const std::uint32_t generation = call->generation + 1;
  *call = Call{};
  call->generation = generation;
  free_slots_.push_back(ref.index);
  --live_calls_;
}

bool B2bua::take(proxy::RequestContext& context) {
  const sip::Message& request = context.request;
  const sip::Method method = request.method();
  if ((method != sip::Method::invite && method != sip::Method::message) || !context.route) return false;
  if (request.to() && !request.to()->tag().empty()) return false;  // in-dialog: claims() takes ours
  // A Route left toward someone else: the caller chose its path; the proxy follows it.
  if (!context.route->routes.empty()) return false;
  auto uri = sip::parse_uri(context.route->request_uri);
  if (!uri) return false;
  const bool served = identity_.serves_uri(*uri);
  const bool known_user = served && users_.is_local_user && users_.is_local_user(*uri);
  // From a trunk (its source address) to one of our users: the registrar's bindings (480 when
  // the user has none).
  const Trunk* from_trunk = trunk_set_->directory.by_source(context.flow.remote.address);
  // A transfer token of ours (sbc/transfer_index.hpp) is at osprey's own address.
  const bool transfer_token =
      uri->has_user && uri->user.starts_with(kTransferUserPrefix) && identity_.is_ours(*uri);
  if (method == sip::Method::invite && from_trunk != nullptr &&
      ((served && (known_user || !users_.is_local_user)) || transfer_token))
    return take_inbound(context, *from_trunk);
  // One of our users stays with the proxy even when a route's prefix would match its name; and
  // a trunk never reaches another trunk through osprey (not even a trusted one: no transit),
  // unless the request authenticated as one of our users (a PBX's phone behind its address).
  if (known_user || !context.originator.may_relay) return false;
  if (from_trunk != nullptr && context.originator.asserted_identity.empty()) return false;
  // A trunk costs money: only a caller that authenticated as one of our users, or a trusted
  // peer, reaches one, also with authentication off (which lets the rest pass unjudged).
  if (context.originator.asserted_identity.empty() && !context.originator.trusted) return false;
  // Toward a trunk: access control judged this target (authenticated, From owned, dial
  // policy) as it judges any target beyond our users.
  std::optional<RouteMatch> route = match_route(trunk_set_->routes, *uri);
  if (!route) return false;
  if (method == sip::Method::message) return take_standalone(context, *route);
  return take_outbound(context, *route);
}

void B2bua::start_caller_leg(Call& call, CallRef ref, proxy::RequestContext& context) {
  const sip::Message& request = context.request;
  Leg& caller = call.caller;
  caller.leg_id = new_leg_id(ref, LegSide::caller);
  caller.call_id = std::string(*request.call_id());
  caller.remote_tag = std::string(request.from()->tag());
  caller.local_tag = tags_.tag();
  caller.remote_uri = without_tag(*request.from());
  caller.local_uri = without_tag(*request.to());
  caller.remote_target = contact_uri(request);
  caller.route_set = route_set_of(request, false);  // §12.1.1: as they came
  caller.remote_cseq = request.cseq()->number;
  caller.remote_invite_cseq = caller.remote_cseq;
  // Requests toward the caller go where it is (its flow: through its NAT, over its connection).
  caller.peer = txn::Target{.protocol = context.flow.protocol,
                            .destination = context.flow.remote,
                            .server_name = {},
                            .keep_udp = false,
                            .peer_flow = true};
  const auto local = transport_.sent_by(context.flow.protocol, context.flow.remote);
  caller.contact =
      leg_contact(worker_, caller.leg_id, context.flow.protocol, local ? *local : context.flow.local);
  call.invite = std::make_unique<sip::Message>(request.clone());
  call.invite_server = context.transaction;
  invite_servers_[key(context.transaction)] = ref;
}

bool B2bua::take_outbound(proxy::RequestContext& context, const RouteMatch& match) {
  const TrunkRoute& route = *match.route;
  const sip::Message& request = context.request;
  if (contact_uri(request).empty()) {
    context.answer({400, "Missing Contact", {}});
    return true;
  }
  const CallRef ref = allocate();
  Call& call = calls_[ref.index];
  for (const std::string& name : route.trunks) {
    if (const Trunk* trunk = trunk_set_->directory.by_name(name)) call.trunks.push_back(trunk);
  }
  call.number = match.number;
  start_caller_leg(call, ref, context);
  call.caller.user_aor = context.originator.asserted_identity;
  if (!negotiate_caller_timer(context, call.trunks.empty() ? nullptr : call.trunks.front(), call)) {
    release(ref);  // answered 422 or 400 by the pipeline
    return true;
  }
  assert_caller_identity(call, context.originator);
  if (call.trunks.empty()) {
    fail_caller(ref, 503);
    return true;
  }
  route_callee(ref);
  return true;
}

void B2bua::assert_caller_identity(Call& call, const proxy::Originator& originator) {
  // RFC 3325 §5/§6 as the proxy does on its forwarded copy: what the caller wrote itself is not
  // believed; the identity it authenticated as is asserted. The identity normaliser reads the
  // trunk's identity from this copy.
  sip::Message& invite = *call.invite;
  bool edited = false;
  if (!originator.trusted)
    edited = security::remove_untrusted_identity(invite, !originator.asserted_identity.empty()) != 0;
  if (!originator.asserted_identity.empty()) {
    security::assert_identity(invite, originator.asserted_identity,
                              std::span<const std::string>(&originator.asserted_identity, 1));
    edited = true;
  }
  if (!edited) return;
  if (auto current = invite.reparsed()) call.invite = std::make_unique<sip::Message>(std::move(*current));
}

bool B2bua::take_inbound(proxy::RequestContext& context, const Trunk& trunk) {
  const sip::Message& request = context.request;
  if (users_.location == nullptr) return false;
  // A trunk that must authenticate (inbound_credentials): 407, then its digest verified.
  // Nothing of the call exists before. Without the verifier such a trunk is refused.
  if (trunk.inbound_credentials) {
    const TrunkAuthenticators* authenticators = trunk_set_->controls.authenticators.get();
    if (authenticators == nullptr) {
      context.answer({403, "Forbidden", {}});
      return true;
    }
    const TrunkAuthDecision decision =
        authenticators->check(request, context.flow.remote, trunk, users_.clock ? users_.clock() : 0);
    if (decision.outcome != TrunkAuthOutcome::pass) {
      context.answer(decision.answer.value_or(sip::LocalReply{403, "Forbidden", {}}));
      return true;
    }
  }
  if (contact_uri(request).empty()) {
    context.answer({400, "Missing Contact", {}});
    return true;
  }
  // The user called (or the one a transfer token names) and the Replaces for them, if any.
  std::string aor;
  std::string replaces;
  if (!inbound_target(context, trunk, aor, replaces)) return true;
  const auto bindings = users_.location->lookup(aor, users_.clock ? users_.clock() : 0);
  // §16.6 across one binding: the most preferred (highest q), then the latest registered.
  const store::Binding* best = nullptr;
  for (const store::Binding& binding : bindings) {
    if (best == nullptr || binding.q > best->q) best = &binding;
  }
  if (best == nullptr) {
    context.answer({480, "Temporarily Unavailable", {}});
    return true;
  }
  const registrar::BindingHops hops = registrar::binding_hops(*best, users_.connection_open);
  if (hops.uris.empty() || hops.flow_failed) {
    context.answer({480, "Temporarily Unavailable", {}});
    return true;
  }
  const CallRef ref = allocate();
  Call& call = calls_[ref.index];
  start_caller_leg(call, ref, context);
  call.caller.trunk = &trunk;
  if (!negotiate_caller_timer(context, &trunk, call)) {
    release(ref);  // answered 422 or 400 by the pipeline
    return true;
  }
  if (auto refused = admit(call, trunk)) {
    fail_caller(ref, 503, "Trunk Limit Reached", *refused);
    return true;
  }
  // The trunk's rules in, on the INVITE the callee leg is built from.
  if (trunk.rules_in) {
    std::optional<sip::Message> edited;
    const sip::Message* ruled = apply_rules_in(call.caller, *call.invite, edited);
    if (ruled == nullptr) {
      fail_caller(ref, 500, "Header Rule Failed");
      return true;
    }
    // Kept beside the received INVITE: the caller's responses are built from that one
    // (RFC 3261 §8.2.6.2: their To, From, Call-ID, CSeq and Via are the request's as received).
    if (edited) call.ruled_invite = std::make_unique<sip::Message>(std::move(*edited));
  }
  call.callee_replaces = std::move(replaces);
  call.callee.user_aor = aor;
  call.hop_uri = hops.uris.front();
  call.hop_is_own_flow = hops.first_is_own_flow;
  call.callee.remote_target = best->contact;
  call.callee.remote_uri = "<" + aor + ">";
  call.callee.route_set = best->path;  // RFC 3327 §5.3: the Path as the route set
  route_callee(ref);
  return true;
}

void B2bua::route_callee(CallRef ref) {
  Call* call = find(ref);
  if (call == nullptr) return;
  call->state = CallState::routing;
  std::string_view next;
  const Trunk* trunk = nullptr;
  if (!call->trunks.empty()) {
    // The route's next trunk that its limits admit (sbc/trunk_admission.hpp: a refused trunk
    // passes the call to the next one before the caller hears 503).
    std::uint32_t retry_after = 0;
    while (trunk == nullptr && call->next_trunk < call->trunks.size()) {
      const Trunk* candidate = call->trunks[call->next_trunk++];
      if (auto refused = admit(*call, *candidate)) {
        retry_after = retry_after == 0 ? *refused : std::min(retry_after, *refused);
        continue;
      }
      trunk = candidate;
    }
    if (trunk == nullptr) {
      fail_caller(ref, 503, retry_after != 0 ? "Trunk Limit Reached" : std::string_view{}, retry_after);
      return;
    }
    next = trunk->peer;
  } else {
    next = call->hop_uri;
  }
  auto uri = sip::parse_uri(next);
  if (!uri) {
    callee_failed(ref, 503);
    return;
  }
  // The URI's text is the trunk's configuration or the call's hop_uri: both outlive the
  // lookup unless the call ends, which the generation check below sees.
  resolve_(*uri, [this, ref, trunk](tl::expected<net::ResolvedTarget, std::string> resolved) {
    Call* found = find(ref);
    if (found == nullptr || found->state != CallState::routing) return;
    if (!resolved || resolved->hops.empty()) {
      callee_failed(ref, 503);
      return;
    }
    const net::ResolvedHop& hop = resolved->hops.front();
    found->callee.trunk = trunk;
    send_callee_invite(ref, txn::Target{.protocol = hop.protocol,
                                        .destination = hop.endpoint,
                                        .server_name = resolved->server_name,
                                        .keep_udp = false,
                                        .peer_flow = trunk == nullptr && found->hop_is_own_flow});
  });
}

void B2bua::send_callee_invite(CallRef ref, const txn::Target& target) {
  Call& call = *find(ref);
  const sip::Message& invite = call.ruled_invite ? *call.ruled_invite : *call.invite;
  Leg& callee = call.callee;
  // A new leg for every attempt (a failover's INVITE is a new dialog toward a new trunk).
  if (!callee.leg_id.empty()) legs_.erase(callee.leg_id);
  callee.leg_id = new_leg_id(ref, LegSide::callee);
  callee.call_id = tags_.hex(32);  // §8.1.1.4: random, and no host of ours or theirs
  callee.local_tag = tags_.tag();
  callee.remote_tag.clear();
  callee.local_cseq = 1;
  callee.invite_cseq = 1;
  callee.remote_cseq = 0;
  callee.peer = target;
  const auto local = transport_.sent_by(target.protocol, target.destination);
  const std::string host = local ? net::to_string(*local) : std::string("invalid");
  callee.contact = leg_contact(worker_, callee.leg_id, target.protocol, local ? *local : net::Endpoint{});
  // The caller's user, at osprey: nothing of the caller's host or display name travels (the
  // identity normaliser writes the identity a trunk wants). A caller from a trunk whose user
  // is the name of one of our users is written at "trunk.invalid" (RFC 2606) instead: someone
  // outside must never look like our "alice" to the phone it rings.
  const std::string caller_user(invite.from()->uri.user);
  std::string from_host = host;
  if (callee.trunk == nullptr && call.caller.trunk != nullptr && users_.is_local_user) {
    for (const std::string& domain : identity_.domains()) {
      const std::string ours = "sip:" + caller_user + "@" + domain;
      if (auto uri = sip::parse_uri(ours); uri && users_.is_local_user(*uri)) {
        from_host = "trunk.invalid";
        break;
      }
    }
  }
  callee.local_uri = "<sip:" + caller_user + "@" + from_host + ">";
  if (callee.trunk != nullptr) {
    callee.remote_target = trunk_request_uri(callee.trunk->peer, call.number).value_or(std::string());
    callee.remote_uri = "<" + callee.remote_target + ">";
    callee.route_set.clear();
  }
  // §16.6 step 3 kept across the B2BUA: a loop through trunks still runs out of hops.
  const std::uint32_t max_forwards =
      invite.max_forwards() ? std::min<std::uint32_t>(*invite.max_forwards(), 71) : 71;
  auto builder = leg_request(callee, "INVITE", callee.invite_cseq, callee.local_tag, {}, true,
                             max_forwards > 0 ? max_forwards - 1 : 0);
  copy_end_to_end(invite, builder);
  // RFC 3891 §6.1: an attended transfer's INVITE, with the Replaces in the callee's terms.
  if (!call.callee_replaces.empty()) builder.header(sip::HeaderId::replaces, call.callee_replaces);
  // RFC 4028 §7.1 on this leg: the trunk's own interval (a call to our users: the calling
  // trunk's settings).
  call.callee_timer_settings =
      callee.trunk != nullptr
          ? (callee.trunk->session_timers.enabled ? &callee.trunk->session_timers : nullptr)
          : call.timer_settings;
  call.callee_negotiation.reset();
  if (call.callee_timer_settings != nullptr) {
    call.callee_negotiation.emplace(*call.callee_timer_settings);
    add_timer_headers(call.callee_negotiation->request_headers(), builder);
  }
  remember_sdp(callee, invite);
  auto message = builder.build();
  // Identity (sbc/identity_normalizer.hpp), after the end-to-end headers and before the rules:
  // the policy of the trunk on the other side of the call (the one called, or the calling one
  // when the call goes to our users).
  if (message) {
    const Trunk* policy = callee.trunk != nullptr ? callee.trunk : call.caller.trunk;
    if (policy != nullptr) {
      const IdentityNormalizer normalizer(
          HostRewrite{[this](std::string_view name) {
                        return identity_.is_our_host(name) || registrar::is_private_address(name);
                      },
                      local ? net::address_text(local->address) : std::string()});
      normalizer.apply(policy->identity, invite, *message, callee.trunk != nullptr);
    }
  }
  if (message && !apply_rules_out(callee, *message)) {
    fail_caller(ref, 500, "Header Rule Failed");
    return;
  }
  call.challenge.reset();
  call.callee_invite_text.clear();
  // Kept for a repeat with credentials (401/407) or a larger Min-SE (422).
  if (message && ((callee.trunk != nullptr && callee.trunk->credentials) || call.callee_negotiation))
    call.callee_invite_text = message->serialize();
  std::optional<txn::ClientTransactionId> client;
  if (message) client = table_.send_request(std::move(*message), target);
  if (!client) {
    callee_failed(ref, 503);
    return;
  }
  call.state = CallState::calling;
  call.invite_client = client;
  invite_clients_[key(*client)] = ref;
}

void B2bua::callee_failed(CallRef ref, int status) {
  Call* call = find(ref);
  if (call == nullptr) return;
  if (call->invite_client) {
    invite_clients_.erase(key(*call->invite_client));
    call->invite_client.reset();
  }
  if (!call->trunks.empty() && !call->cancelled && !call->provisional_sent &&
      call->next_trunk < call->trunks.size()) {
    ++counters_.failovers;
    route_callee(ref);
    return;
  }
  // RFC 3261 §16.7 step 6 by analogy: a 503 of the next hop is not osprey's own overload.
  fail_caller(ref, status == 503 ? 500 : status);
}

std::optional<std::uint32_t> B2bua::admit(Call& call, const Trunk& trunk) {
  // The limits of the configuration the call started with (its trunk is one of that set's).
  const TrunkAdmissions* admissions = call.trunk_set ? call.trunk_set->controls.admissions.get() : nullptr;
  if (admissions == nullptr) return std::nullopt;
  TrunkAdmission* admission = admissions->of(trunk.name);
  if (admission == nullptr) {
    // A trunk its configuration's limits do not know: refused, never let through unlimited.
    ++counters_.refused_by_limits;
    return TrunkAdmission::kConcurrentRetryAfterSeconds;
  }
  auto ticket = admission->try_admit(TrunkAdmission::Clock::now());
  if (!ticket) {
    ++counters_.refused_by_limits;
    return ticket.error().retry_after_seconds;
  }
  call.admission = std::move(*ticket);  // a failover's earlier trunk gets its slot back
  return std::nullopt;
}

void B2bua::fail_caller(CallRef ref, int status, std::string_view reason, std::uint32_t retry_after) {
  Call* call = find(ref);
  if (call == nullptr) return;
  if (!call->final_sent && call->invite) {
    if (call->cancelled) status = 487;
    auto builder = sip::MessageBuilder::response_to(*call->invite, status, reason, call->caller.local_tag);
    // RFC 3261 §21.5.4: when the trunk's limits will let the call through again.
    if (retry_after != 0) builder.header(sip::HeaderId::retry_after, std::to_string(retry_after));
    table_.respond(call->invite_server, std::move(builder).serialize(), status, call->caller.local_tag);
    call->final_sent = true;
  }
  ++counters_.calls_failed;
  release(ref);
}

}  // namespace osprey::sbc
