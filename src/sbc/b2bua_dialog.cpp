// In-dialog requests at a leg's Contact (RFC 3261 §12.2): checked against the leg (its id, the
// dialog's Call-ID and tags, the peer's address), then sent on the other leg with that leg's
// own identifiers and CSeq; their responses come back onto the request's server transaction.
#include <charconv>

#include "sbc/b2bua.hpp"
#include "sbc/leg_request.hpp"
#include "sbc/referral_mapping.hpp"
#include "sip/builder.hpp"

namespace osprey::sbc {

namespace {

// Methods whose request and 2xx carry a Contact (§12.1, RFC 3311 §5.1, RFC 6665, RFC 3515).
bool carries_contact(sip::Method method) {
  switch (method) {
    case sip::Method::invite:
    case sip::Method::update:
    case sip::Method::subscribe:
    case sip::Method::notify:
    case sip::Method::refer: return true;
    default: return false;
  }
}

// §12.2 target refresh requests (RFC 3311 §5.1: UPDATE too).
bool refreshes_target(sip::Method method) {
  return method == sip::Method::invite || method == sip::Method::update;
}

}  // namespace

bool B2bua::claims(const sip::Message& request) const {
  if (!leg_address_of(request)) return false;
  return identity_.is_ours(request.request_uri());
}

bool B2bua::from_peer(const Leg& leg, const net::Flow& flow) const {
  if (flow.remote.address == leg.peer.destination.address) return true;
  // A trunk may send from any of its addresses.
  return leg.trunk != nullptr && leg.trunk->sources.contains(flow.remote.address);
}

const B2bua::LegEntry* B2bua::match_leg(const sip::Message& request, const net::Flow& flow,
                                        bool /*ack*/) const {
  const auto address = leg_address_of(request);
  if (!address || address->worker != worker_) return nullptr;
  const auto it = legs_.find(address->leg_id);
  if (it == legs_.end()) return nullptr;
  const LegEntry& entry = it->second;
  if (entry.call.index >= calls_.size()) return nullptr;
  const Call& call = calls_[entry.call.index];
  if (!call.in_use || call.generation != entry.call.generation) return nullptr;
  const Leg& leg = entry.side == LegSide::caller ? call.caller : call.callee;
  // The leg id alone opens nothing: the request must be in this leg's dialog (Call-ID and both
  // tags, §12.2.2) and come from the peer of this leg, so that a capability seen on one side is
  // worthless on the other, and a BYE from elsewhere is not obeyed.
  if (!request.call_id() || *request.call_id() != leg.call_id) return nullptr;
  if (!request.from() || !request.to() || !request.cseq()) return nullptr;
  const std::string_view from_tag = request.from()->tag();
  const std::string_view to_tag = request.to()->tag();
  bool tags = false;
  if (call.state == CallState::confirmed || call.early_tags.empty()) {
    tags = from_tag == leg.remote_tag && to_tag == leg.local_tag;
  } else {
    // Early dialogs (§12.1): any of the callee's early tags, with the caller tag paired to it.
    for (const auto& [callee_tag, caller_tag] : call.early_tags) {
      if (entry.side == LegSide::caller && from_tag == leg.remote_tag && to_tag == caller_tag) tags = true;
      if (entry.side == LegSide::callee && from_tag == callee_tag && to_tag == leg.local_tag) tags = true;
    }
  }
  if (!tags || !from_peer(leg, flow)) return nullptr;
  return &entry;
}

void B2bua::answer(txn::ServerTransactionId server, const sip::Message& request, int status,
                   std::string_view reason) {
  std::string tag;
  if (!request.to() || request.to()->tag().empty()) tag = tags_.tag();
  auto builder = sip::MessageBuilder::response_to(request, status, reason, tag);
  table_.respond(server, std::move(builder).serialize(), status, tag);
}

void B2bua::answer_retry_later(txn::ServerTransactionId server, const sip::Message& request) {
  // RFC 3261 §14.2: Retry-After between 0 and 10 seconds.
  auto builder = sip::MessageBuilder::response_to(request, 500, "Request Pending", {});
  builder.header(sip::HeaderId::retry_after, "2");
  table_.respond(server, std::move(builder).serialize(), 500, {});
}

void B2bua::on_leg_request(txn::ServerTransactionId transaction, const sip::Message& request,
                           const net::Flow& flow) {
  const LegEntry* entry = match_leg(request, flow, false);
  if (entry == nullptr) {
    ++counters_.unknown_legs;
    answer(transaction, request, 481);  // §12.2.2
    return;
  }
  const sip::Method method = request.method();
  if (method == sip::Method::cancel) {
    answer(transaction, request, 481);  // §9.2: it matched no INVITE transaction here
    return;
  }
  const CallRef ref = entry->call;
  const LegSide side = entry->side;
  Call& call = *find(ref);
  Leg& from = side == LegSide::caller ? call.caller : call.callee;
  const std::uint32_t cseq = request.cseq()->number;
  // §12.2.2: a CSeq lower than the last one is out of order (500); the table absorbed the
  // retransmissions, so an equal one is a replay.
  if (from.remote_cseq != 0 && cseq <= from.remote_cseq) {
    answer(transaction, request, 500, "CSeq Out of Order");
    return;
  }
  if (method == sip::Method::invite && call.state != CallState::confirmed) {
    answer(transaction, request, 491);  // RFC 3261 §14.2: not while the first INVITE is pending
    return;
  }
  if (method == sip::Method::invite || method == sip::Method::update) {
    // RFC 3261 §14.2, RFC 3311 §5.2: one offer at a time on the call. A second one from the same
    // side while its first is unanswered: 500 with Retry-After; one crossing an offer of the
    // other side (or a session refresh of osprey's on either leg): 491. Without this, a peer
    // could keep any number of offers in flight toward the other leg.
    for (const txn::ClientTransactionId client : call.pending) {
      const auto it = pending_.find(key(client));
      if (it == pending_.end() ||
          (it->second.method != sip::Method::invite && it->second.method != sip::Method::update))
        continue;
      if (it->second.from == side) {
        answer_retry_later(transaction, request);
      } else {
        answer(transaction, request, 491);
      }
      return;
    }
    // An INVITE of osprey's on the other leg still waits for its ACK (the peer's ACK has not
    // come to be passed on): not a second one on that leg yet (§14.1, §14.2).
    if (method == sip::Method::invite && offer_in_flight(call, ref, other_side(side))) {
      answer_retry_later(transaction, request);
      return;
    }
    // A session refresh of osprey's on either leg: this offer would cross it, or go out on its
    // leg as a second INVITE at once (§14.1).
    for (const auto& [client_key, refresh] : refreshes_) {
      if (refresh.call == ref) {
        answer(transaction, request, 491);
        return;
      }
    }
  }
  // Requests of one call in flight toward the other leg are bounded: a peer that keeps sending
  // INFOs or NOTIFYs the other side never answers cannot grow the call without end.
  // A BYE is never held back: either side can always hang up.
  if (method != sip::Method::bye && call.pending.size() >= kMaxPendingPerCall) {
    answer_retry_later(transaction, request);
    return;
  }
  from.remote_cseq = cseq;
  if (method == sip::Method::bye) {
    answer(transaction, request, 200);
    if (call.state != CallState::confirmed) {
      // §15: a caller ends an early dialog with CANCEL; a BYE in one ends the whole attempt.
      call.cancelled = true;
      if (call.invite_client) {
        table_.send_cancel(*call.invite_client);
      } else {
        fail_caller(ref, 487);
      }
      return;
    }
    Leg& to = side == LegSide::caller ? call.callee : call.caller;
    send_bye(to, to.local_tag, to.remote_tag, {}, call.trunk_set);
    release(ref);
    return;
  }
  // RFC 4028 §9: osprey answers a refresh on this leg as its UAS, on this leg's terms.
  std::optional<UasTimerDecision> uas_timer;
  if (refreshes_target(method) && from.timer && from.timer_settings != nullptr) {
    auto decision = decide_as_uas(*from.timer_settings, request);
    if (!decision) {
      answer(transaction, request, 400, "Malformed Session-Expires");
      return;
    }
    if (decision->kind == UasTimerDecision::Kind::interval_too_small) {
      auto builder = sip::MessageBuilder::response_to(request, 422, "Session Interval Too Small");
      add_timer_headers(decision->headers, builder);
      table_.respond(transaction, std::move(builder).serialize(), 422, request.to()->tag());
      return;
    }
    uas_timer = std::move(*decision);
  }
  std::optional<sip::Message> edited;
  const sip::Message* ruled = apply_rules_in(from, request, edited);
  if (ruled == nullptr) {
    answer(transaction, request, 500, "Header Rule Failed");
    return;
  }
  forward_in_dialog(transaction, request, *ruled, flow, ref, side, std::move(uas_timer));
}

void B2bua::forward_in_dialog(txn::ServerTransactionId server, const sip::Message& received,
                              const sip::Message& request,
                              const net::Flow& /*flow: the leg is its peer (match_leg)*/, CallRef ref,
                              LegSide side, std::optional<UasTimerDecision> uas_timer) {
  Call& call = *find(ref);
  Leg& from = side == LegSide::caller ? call.caller : call.callee;
  Leg& to = side == LegSide::caller ? call.callee : call.caller;
  const sip::Method method = request.method();
  // The other leg's tags; in an early dialog, the pair of the dialog the request came on.
  std::string_view local_tag = to.local_tag;
  std::string_view remote_tag = to.remote_tag;
  if (call.state != CallState::confirmed) {
    for (const auto& [callee_tag, caller_tag] : call.early_tags) {
      if (side == LegSide::caller && request.to()->tag() == caller_tag) remote_tag = callee_tag;
      if (side == LegSide::callee && request.from()->tag() == callee_tag) local_tag = caller_tag;
    }
  }
  // Nothing of either leg changes before the request is sent: a rule or a send that fails
  // leaves both legs as they were (the next request reuses this CSeq, §12.2.1.1 only asks
  // that it be higher than the last one sent).
  const std::uint32_t cseq = to.local_cseq + 1;
  auto builder = leg_request(to, request.method_text(), cseq, local_tag, remote_tag, carries_contact(method));
  copy_end_to_end(request, builder);
  // RFC 4028 §7.4: the other leg's refresh on its own terms.
  std::optional<UacTimerNegotiation> uac_timer;
  if (refreshes_target(method) && to.timer && to.timer->terms() && to.timer_settings != nullptr) {
    uac_timer = UacTimerNegotiation::in_dialog(*to.timer_settings, *to.timer->terms());
    add_timer_headers(uac_timer->request_headers(), builder);
  }
  if (method == sip::Method::prack) {
    // RFC 3262 §7.2: RAck = response-num CSeq-num Method. The RSeq numbers pass unchanged
    // between legs; the CSeq is that of osprey's INVITE on this leg.
    if (auto rack = request.first_value(sip::HeaderId::rack)) {
      const std::string_view rseq = rack->substr(0, rack->find_first_of(" \t"));
      builder.header(sip::HeaderId::rack, {rseq, " ", std::to_string(to.invite_cseq), " INVITE"});
    }
  }
  int refusal = 0;
  if (!map_referral(request, builder, to, from, refusal)) {
    answer(server, received, refusal);
    return;
  }
  auto message = builder.build();
  if (message && !apply_rules_out(to, *message)) {
    answer(server, received, 500, "Header Rule Failed");
    return;
  }
  std::string sent_text;
  if (message && to.trunk != nullptr && to.trunk->credentials) sent_text = message->serialize();
  std::optional<txn::ClientTransactionId> client;
  if (message) client = table_.send_request(std::move(*message), to.peer);
  if (!client) {
    answer(server, received, 500);
    return;
  }
  // Sent: the legs take what it changed. §12.2.2 and §12.2.1.2: a target refresh updates the
  // remote target of the leg it came on; the peer's INVITE CSeq is what its ACK will carry.
  to.local_cseq = cseq;
  remember_sdp(to, request);
  if (method == sip::Method::invite) from.remote_invite_cseq = received.cseq()->number;
  if (refreshes_target(method)) {
    if (std::string target = contact_uri(received); !target.empty()) from.remote_target = std::move(target);
  }
  // RFC 3261 §8.2.6.2: its responses are built from the request as received, never from the
  // copy the trunk's rules edited.
  pending_.emplace(key(*client), Pending{ref,
                                         server,
                                         side,
                                         method,
                                         received.clone(),
                                         std::move(uas_timer),
                                         std::move(uac_timer),
                                         {},
                                         nullptr,
                                         nullptr,
                                         std::move(sent_text),
                                         false,
                                         cseq,
                                         {}});
  if (method == sip::Method::invite) pending_by_server_[key(server)] = key(*client);
  call.pending.push_back(*client);
}

void B2bua::on_in_dialog_response(std::uint64_t client_key, const sip::Message& response) {
  const int status = response.status();
  if (status == 100) return;
  auto it = pending_.find(client_key);
  if (it == pending_.end()) return;
  Pending& pending = it->second;
  if (!pending.standalone_tag.empty()) {
    if ((status == 401 || status == 407) && !pending.challenged && !pending.sent_text.empty()) {
      // The trunk challenged osprey's MESSAGE (RFC 3261 §22.2): once more with the trunk's
      // credentials and the next CSeq, as for a call's requests; the sender never sees the
      // challenge (it is for osprey), and a second one ends it (no loop).
      const std::uint32_t cseq = pending.cseq + 1;
      if (auto retry = with_trunk_credentials(pending.trunk, pending.sent_text, response, cseq)) {
        std::string text = retry->serialize();
        if (auto client = table_.send_request(std::move(*retry), pending.standalone_target)) {
          Pending moved = std::move(pending);
          moved.sent_text = std::move(text);
          moved.challenged = true;
          moved.cseq = cseq;
          pending_.erase(it);
          pending_.emplace(key(*client), std::move(moved));
          return;
        }
      }
    }
    if (status >= 200) {
      on_standalone_response(pending, response);
      pending_.erase(it);
    }
    return;
  }
  Call* call = find(pending.call);
  if (call != nullptr && (status == 401 || status == 407) && !pending.challenged &&
      !pending.sent_text.empty()) {
    // The trunk challenged a request osprey passed on (RFC 3261 §22.2): once more with the
    // trunk's credentials and the leg's next CSeq; the sender never sees the challenge.
    Leg& to = pending.from == LegSide::caller ? call->callee : call->caller;
    const std::uint32_t cseq = to.local_cseq + 1;
    if (auto retry = with_trunk_credentials(to.trunk, pending.sent_text, response, cseq)) {
      std::string text = retry->serialize();
      if (auto client = table_.send_request(std::move(*retry), to.peer)) {
        to.local_cseq = cseq;
        if (pending.method == sip::Method::invite) pending_by_server_[key(pending.server)] = key(*client);
        Pending moved = std::move(pending);
        moved.sent_text = std::move(text);
        moved.cseq = cseq;
        moved.challenged = true;
        pending_.erase(it);
        std::erase_if(call->pending,
                      [client_key](txn::ClientTransactionId id) { return key(id) == client_key; });
        call->pending.push_back(*client);
        pending_.emplace(key(*client), std::move(moved));
        return;
      }
    }
  }
  if (call != nullptr && pending.request) {
    Leg& from = pending.from == LegSide::caller ? call->caller : call->callee;
    Leg& to = pending.from == LegSide::caller ? call->callee : call->caller;
    const bool refreshed = status >= 200 && status < 300 && refreshes_target(pending.method);
    if (refreshed) {
      if (std::string target = contact_uri(response); !target.empty()) to.remote_target = std::move(target);
      // RFC 4028 §10: a 2xx to a re-INVITE or UPDATE refreshes both legs' sessions.
      if (to.timer && pending.uac_timer) {
        auto terms = pending.uac_timer->read_2xx(response);
        to.timer->on_refreshed(now_, terms ? *terms : to.timer->terms());
      }
      if (from.timer && pending.uas_timer) from.timer->on_refreshed(now_, pending.uas_timer->terms);
    }
    std::optional<sip::Message> edited;
    const sip::Message* ruled = apply_rules_in(to, response, edited);
    const int sent_status = ruled != nullptr ? status : 500;
    auto builder = sip::MessageBuilder::response_to(
        *pending.request, sent_status, ruled != nullptr ? response.reason() : std::string_view{});
    if (ruled != nullptr) {
      if (status > 100 && status < 300 && carries_contact(pending.method))
        builder.header(sip::HeaderId::contact, from.contact);
      copy_end_to_end(*ruled, builder);
      if (refreshed && pending.uas_timer) add_timer_headers(pending.uas_timer->headers, builder);
      if (status > 100 && status < 300) remember_sdp(from, *ruled);
    }
    std::string text = std::move(builder).serialize();
    const std::string_view to_tag = pending.request->to() ? pending.request->to()->tag() : std::string_view{};
    if (apply_rules_out(from, text)) table_.respond(pending.server, std::move(text), sent_status, to_tag);
  }
  if (status < 200) return;
  if (call != nullptr && status < 300 && pending.method == sip::Method::invite && pending.request) {
    // The peer's ACK will become osprey's on the other leg, with this INVITE's CSeq.
    answered_invites_[client_key] =
        AnsweredInvite{pending.call, other_side(pending.from),
                       pending.cseq, pending.request->cseq() ? pending.request->cseq()->number : 0,
                       {},           now_ + kAckWait};
  }
  // Final: the transaction pair is done.
  pending_by_server_.erase(key(pending.server));
  if (call != nullptr)
    std::erase_if(call->pending, [client_key](txn::ClientTransactionId id) { return key(id) == client_key; });
  pending_.erase(it);
}

void B2bua::send_bye(Leg& leg, std::string_view local_tag, std::string_view remote_tag,
                     std::string_view reason, const std::shared_ptr<const TrunkSet>& set) {
  auto builder = leg_request(leg, "BYE", ++leg.local_cseq, local_tag, remote_tag, false);
  if (!reason.empty()) builder.header(sip::HeaderId::reason, reason);  // RFC 3326
  auto message = builder.build();
  if (!message) return;
  if (!apply_rules_out(leg, *message)) return;
  OwnRequest own{{}, leg.peer, leg.trunk, nullptr, false};
  if (leg.trunk != nullptr && leg.trunk->credentials) own.sent_text = message->serialize();
  if (auto client = table_.send_request(std::move(*message), leg.peer)) {
    own.trunk_set = set;  // the Trunk outlives the call being released now
    own_requests_.emplace(key(*client), std::move(own));
  }
}

}  // namespace osprey::sbc
