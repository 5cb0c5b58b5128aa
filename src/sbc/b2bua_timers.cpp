// RFC 4028 session timers per leg (sbc/session_timer*.hpp): each leg negotiates its own
// interval and refresher, osprey refreshes the legs where it is the refresher, and a call whose
// session expired or whose refresh failed ends on both legs with BYE and a Reason (RFC 3326).
#include "sbc/b2bua.hpp"
#include "sbc/leg_request.hpp"
#include "sip/builder.hpp"

namespace osprey::sbc {

namespace {
const SessionTimerSettings* settings_of(const Trunk* trunk) {
  return trunk != nullptr && trunk->session_timers.enabled ? &trunk->session_timers : nullptr;
}
// The shortest max_call_duration of the call's trunks (either leg); nullopt: no bound.
std::optional<std::chrono::seconds> max_duration_of(const Call& call) {
  std::optional<std::chrono::seconds> shortest;
  for (const Trunk* trunk : {call.caller.trunk, call.callee.trunk}) {
    if (trunk == nullptr || trunk->limits.max_call_duration == 0) continue;
    const std::chrono::seconds limit(trunk->limits.max_call_duration);
    if (!shortest || limit < *shortest) shortest = limit;
  }
  return shortest;
}
// Timer headers as a local reply's (a 422 of osprey's own).
std::vector<std::pair<std::string, std::string>> reply_headers(const TimerHeaders& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const TimerHeader& header : headers)
    out.emplace_back(std::string(sip::canonical_name(header.id)), header.value);
  return out;
}
}  // namespace

bool B2bua::negotiate_caller_timer(proxy::RequestContext& context, const Trunk* trunk, Call& call) {
  call.timer_settings = settings_of(trunk);
  if (call.timer_settings == nullptr) return true;
  auto decision = decide_as_uas(*call.timer_settings, context.request);
  if (!decision) {
    context.answer({400, "Malformed Session-Expires", {}});
    return false;
  }
  if (decision->kind == UasTimerDecision::Kind::interval_too_small) {
    context.answer({422, "Session Interval Too Small", reply_headers(decision->headers)});
    return false;
  }
  call.caller_terms = decision->terms;
  call.caller_timer_headers = std::move(decision->headers);
  return true;
}

void B2bua::start_leg_timer(Leg& leg, const SessionTimerSettings& settings, std::optional<SessionTerms> terms,
                            bool peer_allows_update) {
  leg.timer.emplace(settings);
  leg.timer_settings = &settings;
  leg.timer->set_peer_allows_update(peer_allows_update);
  leg.timer->on_refreshed(now_, terms);
}

bool B2bua::retry_with_min_se(CallRef ref, Call& call, const sip::Message& response) {
  if (call.cancelled || !call.callee_negotiation || call.callee_invite_text.empty()) return false;
  if (!call.callee_negotiation->on_422(response)) return false;
  auto retry = sip::Message::parse(call.callee_invite_text);
  if (!retry) return false;
  Leg& callee = call.callee;
  const std::uint32_t cseq = ++callee.local_cseq;
  callee.invite_cseq = cseq;
  retry->replace_header(sip::HeaderId::cseq, std::to_string(cseq) + " INVITE");
  for (const TimerHeader& header : call.callee_negotiation->request_headers()) {
    if (header.id == sip::HeaderId::session_expires || header.id == sip::HeaderId::min_se)
      retry->replace_header(header.id, header.value);
  }
  call.callee_invite_text = retry->serialize();
  auto client = table_.send_request(std::move(*retry), callee.peer);
  if (!client) return false;
  call.invite_client = client;
  invite_clients_[key(*client)] = ref;
  return true;
}

void B2bua::advance(txn::TimePoint now) {
  now_ = now;
  if (registrations_) registrations_->advance(now);
  // Intervals are at least 90 s (RFC 4028 §4 Min-SE): a look once a second is plenty, and the
  // tick (every 10 ms) costs nothing the other 99 times.
  if (now < next_timer_scan_) return;
  next_timer_scan_ = now + std::chrono::seconds(1);
  std::erase_if(answered_invites_, [now](const auto& entry) { return entry.second.expires <= now; });
  for (std::uint32_t index = 0; index < calls_.size(); ++index) {
    // RFC 3261 §13.3.1.4: no ACK from the caller 64*T1 after its 2xx: the session is ended
    // with BYE on both legs (the callee's 2xx retransmissions carried ours until then).
    if (Call& call = calls_[index]; call.in_use && call.state == CallState::confirmed && !call.caller_acked &&
                                    now - call.confirmed_at > kAckWait) {
      end_call({index, call.generation}, "SIP;cause=408;text=\"No ACK\"");
      continue;
    }
    // The trunks' maximum call duration: a call whose BYEs were lost (and that runs no session
    // timer) ends anyway, and its slot of max_calls comes back.
    if (Call& call = calls_[index]; call.in_use && call.state == CallState::confirmed) {
      if (const auto limit = max_duration_of(call); limit && now - call.confirmed_at >= *limit) {
        end_call({index, call.generation}, "SIP;cause=408;text=\"Maximum call duration\"");
        continue;
      }
    }
    for (const LegSide side : {LegSide::caller, LegSide::callee}) {
      Call& call = calls_[index];
      if (!call.in_use || call.state != CallState::confirmed) break;
      Leg& leg = side == LegSide::caller ? call.caller : call.callee;
      if (!leg.timer) continue;
      const auto deadline = leg.timer->next_deadline();
      if (!deadline || *deadline > now) continue;
      const SessionTimerAction action = leg.timer->poll(now);
      run_timer_action({index, call.generation}, side, action);
    }
  }
}

void B2bua::run_timer_action(CallRef ref, LegSide side, const SessionTimerAction& action) {
  switch (action.kind) {
    case SessionTimerAction::Kind::none: return;
    case SessionTimerAction::Kind::refresh: send_refresh(ref, side, action.method); return;
    case SessionTimerAction::Kind::end_call: end_call(ref, action.reason); return;
  }
}

void B2bua::send_refresh(CallRef ref, LegSide side, RefreshMethod method) {
  Call* call = find(ref);
  if (call == nullptr) return;
  Leg& leg = side == LegSide::caller ? call->caller : call->callee;
  if (!leg.timer) return;
  // One INVITE (or offer) at a time on a leg (RFC 3261 §14.1, RFC 3311 §5.1): with another in
  // flight the refresh waits, and that one's 2xx refreshes the session anyway.
  if (offer_in_flight(*call, ref, side)) {
    leg.timer->defer_refresh(now_);
    return;
  }
  // A re-INVITE carries the session as osprey last described it on this leg (RFC 3264 §8: an
  // unchanged offer); without one to repeat, an UPDATE (RFC 3311: no offer needed).
  const bool invite = method == RefreshMethod::reinvite && !leg.sdp.empty();
  const std::uint32_t cseq = ++leg.local_cseq;
  auto builder = leg_request(leg, invite ? "INVITE" : "UPDATE", cseq, leg.local_tag, leg.remote_tag, true);
  add_timer_headers(leg.timer->refresh_headers(), builder);
  if (invite) builder.body(leg.sdp_type, leg.sdp);
  auto message = builder.build();
  std::optional<txn::ClientTransactionId> client;
  if (message && apply_rules_out(leg, *message)) client = table_.send_request(std::move(*message), leg.peer);
  if (!client) {
    run_timer_action(ref, side, leg.timer->on_refresh_timeout(now_));
    return;
  }
  ++counters_.session_refreshes;
  refreshes_[key(*client)] = Refresh{ref, side, invite, cseq};
}

bool B2bua::on_refresh_response(std::uint64_t client_key, const sip::Message& response) {
  auto it = refreshes_.find(client_key);
  if (it == refreshes_.end()) return false;
  if (response.status() < 200) return true;
  const Refresh refresh = it->second;
  refreshes_.erase(it);
  Call* call = find(refresh.call);
  if (call == nullptr) return true;
  Leg& leg = refresh.side == LegSide::caller ? call->caller : call->callee;
  if (!leg.timer) return true;
  if (response.status() < 300) {
    // §12.2.1.2: a target refresh's 2xx updates the remote target.
    if (std::string target = contact_uri(response); !target.empty()) leg.remote_target = std::move(target);
    if (refresh.invite) {
      answered_invites_[client_key] =
          AnsweredInvite{refresh.call,
                         refresh.side,
                         refresh.cseq,
                         0,
                         send_ack(leg, refresh.cseq, nullptr, leg.local_tag, leg.remote_tag),
                         now_ + kAckWait};
    }
    if (!leg.timer->on_refresh_2xx(now_, response))
      end_call(refresh.call, "SIP;cause=400;text=\"Bad Session-Expires\"");
    return true;
  }
  run_timer_action(refresh.call, refresh.side, leg.timer->on_refresh_failed(now_, response));
  return true;
}

bool B2bua::on_refresh_failure(std::uint64_t client_key) {
  auto it = refreshes_.find(client_key);
  if (it == refreshes_.end()) return false;
  const Refresh refresh = it->second;
  refreshes_.erase(it);
  Call* call = find(refresh.call);
  if (call == nullptr) return true;
  Leg& leg = refresh.side == LegSide::caller ? call->caller : call->callee;
  if (leg.timer) run_timer_action(refresh.call, refresh.side, leg.timer->on_refresh_timeout(now_));
  return true;
}

void B2bua::end_call(CallRef ref, std::string_view reason) {
  Call* call = find(ref);
  if (call == nullptr) return;
  ++counters_.sessions_ended;
  send_bye(call->caller, call->caller.local_tag, call->caller.remote_tag, reason, call->trunk_set);
  send_bye(call->callee, call->callee.local_tag, call->callee.remote_tag, reason, call->trunk_set);
  release(ref);
}

}  // namespace osprey::sbc
