// The callee leg's INVITE responses mapped onto the caller's INVITE (RFC 3261 §13.2.2 on the
// callee leg, §13.3.1 on the caller leg), the ACKs of each leg (§13.2.2.4) and CANCEL (§9).
#include "sbc/b2bua.hpp"

#include <algorithm>
#include "sbc/leg_request.hpp"
#include "sip/builder.hpp"

namespace osprey::sbc {

bool B2bua::on_response(txn::ClientTransactionId transaction, const sip::Message& response) {
  const std::uint64_t id = key(transaction);
  if (auto it = invite_clients_.find(id); it != invite_clients_.end()) {
    on_invite_response(it->second, response);
    return true;
  }
  if (pending_.count(id) != 0) {
    on_in_dialog_response(id, response);
    return true;
  }
  if (auto it = own_requests_.find(id); it != own_requests_.end()) {
    if (response.status() < 200) return true;
    OwnRequest own = std::move(it->second);
    own_requests_.erase(it);
    if ((response.status() == 401 || response.status() == 407) && !own.challenged && !own.sent_text.empty()) {
      // The trunk challenged osprey's BYE: once more with its credentials, or its leg stays up.
      auto sent = sip::Message::parse(own.sent_text);
      const std::uint32_t cseq = sent && sent->cseq() ? sent->cseq()->number + 1 : 0;
      if (auto retry = with_trunk_credentials(own.trunk, own.sent_text, response, cseq)) {
        own.sent_text = retry->serialize();
        own.challenged = true;
        if (auto client = table_.send_request(std::move(*retry), own.target))
          own_requests_.emplace(key(*client), std::move(own));
      }
    }
    return true;
  }
  if (on_answered_invite_response(id, response)) return true;
  if (on_refresh_response(id, response)) return true;
  return registrations_ && registrations_->on_response(transaction, response);
}

bool B2bua::on_client_failure(txn::ClientTransactionId transaction, int status) {
  const std::uint64_t id = key(transaction);
  if (auto it = invite_clients_.find(id); it != invite_clients_.end()) {
    const CallRef ref = it->second;
    if (Call* call = find(ref); call != nullptr && call->state == CallState::confirmed) return true;
    callee_failed(ref, status);
    return true;
  }
  if (auto it = pending_.find(id); it != pending_.end()) {
    Pending pending = std::move(it->second);
    pending_.erase(it);
    pending_by_server_.erase(key(pending.server));
    if (Call* call = find(pending.call)) std::erase(call->pending, transaction);
    if (pending.request) answer(pending.server, *pending.request, status == 408 ? 408 : 500);
    return true;
  }
  if (own_requests_.erase(id) != 0) return true;
  if (on_refresh_failure(id)) return true;
  return registrations_ && registrations_->on_client_failure(transaction, status);
}

std::string B2bua::caller_tag_for(Call& call, std::string_view callee_tag) {
  if (callee_tag.empty()) return call.caller.local_tag;
  for (const auto& [callee, caller] : call.early_tags) {
    if (callee == callee_tag) return caller;
  }
  // The first early dialog takes the tag the caller leg was given; each further one (a fork
  // behind the trunk) a tag of its own, so the caller sees as many dialogs as there are.
  std::string tag = call.early_tags.empty() ? call.caller.local_tag : tags_.tag();
  if (call.early_tags.size() < kMaxEarlyDialogs) call.early_tags.emplace_back(std::string(callee_tag), tag);
  return tag;
}

void B2bua::forward_to_caller(Call& call, const sip::Message& response, std::string_view caller_tag) {
  const int status = response.status();
  const sip::Message& invite = *call.invite;
  auto builder = sip::MessageBuilder::response_to(invite, status, response.reason(), caller_tag);
  if (status < 300) {
    // §12.1.1: a UAS copies the request's Record-Route into responses that create a dialog.
    invite.for_each_line(sip::HeaderId::record_route, [&builder](std::string_view value) {
      builder.header(sip::HeaderId::record_route, value);
      return true;
    });
    builder.header(sip::HeaderId::contact, call.caller.contact);
  }
  copy_end_to_end(response, builder);
  // RFC 4028 §9: the caller leg's own terms in the 2xx osprey answers its INVITE with.
  if (status >= 200 && status < 300) add_timer_headers(call.caller_timer_headers, builder);
  if (status > 100 && status < 300) remember_sdp(call.caller, response);
  std::string text = std::move(builder).serialize();
  if (!apply_rules_out(call.caller, text)) return;
  table_.respond(call.invite_server, std::move(text), status, caller_tag);
}

void B2bua::on_invite_response(CallRef ref, const sip::Message& received) {
  const int status = received.status();
  if (status == 100) return;  // hop by hop: the caller had the table's own 100
  Call* call = find(ref);
  if (call == nullptr || !received.to()) return;
  std::optional<sip::Message> edited;
  const sip::Message* ruled = apply_rules_in(call->callee, received, edited);
  // A rule that fails on a response cannot refuse it (a callee that answered is in the call):
  // it is mapped as it came, through the allow-list like every response.
  const sip::Message& response = ruled != nullptr ? *ruled : received;
  Leg& callee = call->callee;
  const std::string_view callee_tag = response.to()->tag();
  if (status < 200) {
    if (call->final_sent) return;
    // Forks behind a trunk each open an early dialog; past kMaxEarlyDialogs a provisional with
    // yet another tag is not passed on (its fork may still answer: a 2xx is always taken), so a
    // peer inventing tags cannot grow the call without end.
    if (!callee_tag.empty() && call->early_tags.size() >= kMaxEarlyDialogs &&
        std::none_of(call->early_tags.begin(), call->early_tags.end(),
                     [&](const auto& early) { return early.first == callee_tag; }))
      return;
    if (!callee_tag.empty()) {
      // §12.1.2 / §13.2.2.4: an early dialog; its requests (PRACK, UPDATE) follow it.
      callee.remote_tag = std::string(callee_tag);
      if (std::string target = contact_uri(response); !target.empty())
        callee.remote_target = std::move(target);
      callee.route_set = route_set_of(response, true);
    }
    const std::string caller_tag = caller_tag_for(*call, callee_tag);
    forward_to_caller(*call, response, caller_tag);
    call->provisional_sent = true;
    return;
  }
  if (status < 300) {
    if (call->state == CallState::confirmed) {
      // A retransmission of the 2xx (the callee did not see our ACK, §13.3.1.4): the caller
      // had it and ACKed, so ACK again; or the caller has not ACKed yet: pass it on again.
      if (callee_tag != callee.remote_tag) {
        // Another fork answered too (§13.2.2.4): its dialog is ACKed and ended at once; the
        // caller never hears of it.
        Leg fork = callee;
        fork.remote_tag = std::string(callee_tag);
        if (std::string target = contact_uri(response); !target.empty())
          fork.remote_target = std::move(target);
        fork.route_set = route_set_of(response, true);
        fork.local_cseq = fork.invite_cseq;
        send_ack(fork, fork.invite_cseq, nullptr, fork.local_tag, fork.remote_tag);
        send_bye(fork, fork.local_tag, fork.remote_tag, {}, call->trunk_set);
        return;
      }
      if (call->caller_acked && !call->callee_ack.empty()) {
        if (auto ack = sip::Message::parse(call->callee_ack)) table_.send_ack(std::move(*ack), callee.peer);
      } else if (call->invite) {
        forward_to_caller(*call, response, call->caller.local_tag);
      }
      return;
    }
    callee.remote_tag = std::string(callee_tag);
    if (std::string target = contact_uri(response); !target.empty()) callee.remote_target = std::move(target);
    callee.route_set = route_set_of(response, true);
    const std::string caller_tag = caller_tag_for(*call, callee_tag);
    call->caller.local_tag = caller_tag;
    call->early_tags.clear();
    call->state = CallState::confirmed;
    call->confirmed_at = now_;
    index_call(*call);  // for a Replaces naming either leg, from any worker (RFC 3891)
    ++counters_.calls_answered;
    // RFC 4028: each leg's timer starts with the terms its own negotiation set.
    if (call->callee_negotiation && call->callee_timer_settings != nullptr) {
      auto terms = call->callee_negotiation->read_2xx(response);
      start_leg_timer(callee, *call->callee_timer_settings, terms ? *terms : std::nullopt,
                      allows_update(response));
    }
    if (call->timer_settings != nullptr && call->invite)
      start_leg_timer(call->caller, *call->timer_settings, call->caller_terms, allows_update(*call->invite));
    forward_to_caller(*call, response, caller_tag);
    call->final_sent = true;
    return;
  }
  // A final failure: this attempt is over.
  invite_clients_.erase(key(*call->invite_client));
  call->invite_client.reset();
  if ((status == 401 || status == 407) && answer_trunk_challenge(ref, *call, received)) return;
  if (status == 422 && retry_with_min_se(ref, *call, received)) return;
  const bool retryable = status == 408 || (status >= 500 && status < 600);
  if (retryable && !call->trunks.empty() && !call->cancelled && !call->provisional_sent &&
      call->next_trunk < call->trunks.size()) {
    ++counters_.failovers;
    route_callee(ref);
    return;
  }
  if (call->cancelled) {
    fail_caller(ref, 487);
    return;
  }
  if (status == 401 || status == 407) {
    // The trunk challenged osprey, not the caller: its realm and nonce mean nothing to the
    // caller, and the caller's credentials must never reach a trunk.
    fail_caller(ref, 403, "Trunk Authentication Failed");
    return;
  }
  const std::string caller_tag = caller_tag_for(*call, callee_tag);
  if (status >= 300 && status < 400) {
    // A redirection's Contacts name the trunk's side: the caller cannot follow them.
    fail_caller(ref, 480);
    return;
  }
  if (status == 503) {
    // RFC 3261 §16.7 step 6 by analogy: the trunk's overload is not osprey's; a caller told
    // 503 would take osprey for unavailable (RFC 3263 §4.3).
    fail_caller(ref, 500);
    return;
  }
  forward_to_caller(*call, response, caller_tag);
  call->final_sent = true;
  ++counters_.calls_failed;
  release(ref);
}

std::optional<sip::Message> B2bua::with_trunk_credentials(const Trunk* trunk, const std::string& sent_text,
                                                          const sip::Message& challenge, std::uint32_t cseq) {
  if (trunk == nullptr || !trunk->credentials || sent_text.empty() || cseq == 0) return std::nullopt;
  auto sent = sip::Message::parse(sent_text);
  if (!sent || !sent->cseq()) return std::nullopt;
  TrunkChallengeAnswer answer(*trunk->credentials);
  auto retry = answer.answer(*sent, challenge);
  if (!retry) return std::nullopt;
  retry->replace_header(sip::HeaderId::cseq,
                        std::to_string(cseq) + " " + std::string(sent->cseq()->method_text));
  // The table reads the CSeq of what it sends: a fresh parse, not the edited copy.
  auto current = retry->reparsed();
  if (!current) return std::nullopt;
  return std::optional<sip::Message>(std::move(*current));
}

bool B2bua::answer_trunk_challenge(CallRef ref, Call& call, const sip::Message& challenge) {
  Leg& callee = call.callee;
  if (call.cancelled || callee.trunk == nullptr || !callee.trunk->credentials ||
      call.callee_invite_text.empty())
    return false;
  if (!call.challenge) call.challenge.emplace(*callee.trunk->credentials);
  auto sent = sip::Message::parse(call.callee_invite_text);
  if (!sent) return false;
  // nullopt: no realm of ours, or the trunk refused what osprey answered (no loop).
  auto retry = call.challenge->answer(*sent, challenge);
  if (!retry) return false;
  // §8.1.3.5: the same request with credentials and the next CSeq; the table gives it a new Via.
  const std::uint32_t cseq = ++callee.local_cseq;
  callee.invite_cseq = cseq;
  retry->replace_header(sip::HeaderId::cseq, std::to_string(cseq) + " INVITE");
  call.callee_invite_text = retry->serialize();
  auto client = table_.send_request(std::move(*retry), callee.peer);
  if (!client) return false;
  call.invite_client = client;
  invite_clients_[key(*client)] = ref;
  return true;
}

std::string B2bua::send_ack(Leg& to, std::uint32_t cseq, const sip::Message* source,
                            std::string_view local_tag, std::string_view remote_tag) {
  auto builder = leg_request(to, "ACK", cseq, local_tag, remote_tag, false);
  if (source != nullptr) {
    copy_end_to_end(*source, builder);
    remember_sdp(to, *source);  // a late offer's answer
  }
  std::string text = std::move(builder).serialize();
  if (!apply_rules_out(to, text)) return text;
  if (auto ack = sip::Message::parse(text)) table_.send_ack(std::move(*ack), to.peer);
  return text;
}

bool B2bua::on_ack(const sip::Message& ack, const net::Flow& flow) {
  if (!claims(ack)) return false;
  const LegEntry* entry = match_leg(ack, flow, true);
  if (entry == nullptr) {
    ++counters_.unknown_legs;
    return true;  // §17: nothing answers an ACK
  }
  const CallRef ref = entry->call;
  const LegSide side = entry->side;
  Call& call = *find(ref);
  if (call.state != CallState::confirmed) return true;
  Leg& from = side == LegSide::caller ? call.caller : call.callee;
  Leg& to = side == LegSide::caller ? call.callee : call.caller;
  // Only the ACK of the peer's last INVITE on this leg (a stale or replayed one goes nowhere).
  if (!ack.cseq() || ack.cseq()->number != from.remote_invite_cseq) return true;
  if (side == LegSide::caller && !call.caller_acked) {
    call.callee_ack = send_ack(to, to.invite_cseq, &ack, to.local_tag, to.remote_tag);
    call.caller_acked = true;
    call.invite.reset();  // every response to it is sent
    call.ruled_invite.reset();
    return true;
  }
  // The ACK of a re-INVITE osprey passed on: the ACK of osprey's copy on the other leg, with
  // that copy's CSeq (not the leg's latest INVITE: a session refresh may have followed).
  const LegSide to_side = other_side(side);
  for (auto& [client_key, answered] : answered_invites_) {
    if (answered.call != ref || answered.side != to_side || !answered.ack.empty() ||
        answered.peer_cseq != ack.cseq()->number)
      continue;
    answered.ack = send_ack(to, answered.cseq, &ack, to.local_tag, to.remote_tag);
    break;
  }
  return true;
}

bool B2bua::on_answered_invite_response(std::uint64_t client_key, const sip::Message& response) {
  auto it = answered_invites_.find(client_key);
  if (it == answered_invites_.end()) return false;
  const AnsweredInvite& answered = it->second;
  Call* call = find(answered.call);
  if (call == nullptr) {
    answered_invites_.erase(it);
    return true;
  }
  // RFC 3261 §13.2.2.4: the 2xx came again (our ACK was lost): the same ACK again. Before the
  // peer's own ACK came there is none yet; the peer's transaction retransmits its 2xx.
  if (response.status() >= 200 && response.status() < 300 && !answered.ack.empty()) {
    const Leg& leg = answered.side == LegSide::caller ? call->caller : call->callee;
    if (auto ack = sip::Message::parse(answered.ack)) table_.send_ack(std::move(*ack), leg.peer);
  }
  return true;
}

bool B2bua::offer_in_flight(const Call& call, CallRef ref, LegSide side) const {
  for (const txn::ClientTransactionId client : call.pending) {
    const auto it = pending_.find(key(client));
    if (it != pending_.end() &&
        (it->second.method == sip::Method::invite || it->second.method == sip::Method::update))
      return true;
  }
  for (const auto& [client_key, answered] : answered_invites_) {
    if (answered.call == ref && answered.side == side && answered.ack.empty()) return true;
  }
  return false;
}

bool B2bua::on_cancel(txn::ServerTransactionId invite, const sip::Message& /*cancel*/) {
  if (auto it = invite_servers_.find(key(invite)); it != invite_servers_.end()) {
    const CallRef ref = it->second;
    Call* call = find(ref);
    if (call == nullptr || call->final_sent) return true;
    call->cancelled = true;
    if (call->invite_client) {
      // §9.1: held back by the table until the callee sent a provisional; the callee's 487
      // (or the INVITE's timeout) ends the caller's INVITE with 487.
      table_.send_cancel(*call->invite_client);
    } else {
      fail_caller(ref, 487);  // still resolving: nothing was sent
    }
    return true;
  }
  if (auto it = pending_by_server_.find(key(invite)); it != pending_by_server_.end()) {
    // A re-INVITE cancelled: its copy on the other leg is cancelled; the answer comes back.
    const std::uint64_t client = it->second;
    table_.send_cancel({static_cast<std::uint32_t>(client >> 32), static_cast<std::uint32_t>(client)});
    return true;
  }
  return false;
}

}  // namespace osprey::sbc
