#include "txn/server_invite.hpp"

#include <algorithm>
#include <utility>

#include "sip/builder.hpp"

namespace osprey::txn {

ServerInvite::ServerInvite(TransactionEnv& env, TimerSettings settings, TransportKind transport,
                           sip::Message invite)
    : env_(env),
      settings_(settings),
      transport_(transport),
      invite_(std::make_unique<sip::Message>(std::move(invite))) {
  // §17.2.1: the server transaction MUST send 100 Trying unless it knows the TU will send a
  // provisional within 200 ms; waiting 200 ms lets a quick TU answer first.
  env_.start_timer(TimerName::trying, settings_.trying);
}

void ServerInvite::on_request_retransmission() {
  // §17.2.1: in Proceeding the most recent provisional is sent again (nothing if there is none
  // yet), in Completed the final. RFC 6026 §7.1: absorbed in Accepted; Confirmed absorbs too.
  if (state_ == State::proceeding && provisional_sent_) {
    send_or_fail(last_response_);
  } else if (state_ == State::completed) {
    send_or_fail(last_response_);
  }
}

void ServerInvite::on_ack(const sip::Message& ack) {
  switch (state_) {
    case State::completed:
      // §17.2.1: the ACK for a 300-699 ends the retransmissions; Confirmed absorbs further
      // ACKs for Timer I (T4 over unreliable transports, zero over reliable ones).
      state_ = State::confirmed;
      env_.stop_timer(TimerName::G);
      env_.stop_timer(TimerName::H);
      if (transport_ == TransportKind::unreliable) {
        env_.start_timer(TimerName::I, settings_.t4);
      } else {
        terminate();
      }
      return;
    case State::accepted:
      // RFC 6026 §7.1: an ACK for a 2xx is the TU's (it ends the TU's 2xx retransmissions).
      env_.deliver_ack(ack);
      return;
    default: return;  // Proceeding: nothing to acknowledge yet; Confirmed: absorbed.
  }
}

bool ServerInvite::respond(std::string response, int status) {
  if (status < 100 || status > 699) return false;
  if (state_ == State::accepted) {
    // RFC 6026 §7.1: further 2xx from the TU (its retransmissions, or 2xx for other forks) are
    // sent; nothing else may follow a 2xx.
    if (status < 200 || status >= 300) return false;
    return send_or_fail(response);
  }
  if (state_ != State::proceeding) return false;
  last_response_ = std::move(response);
  if (status < 200) {
    // §17.2.1: a TU provisional is sent; the 100 Trying is then not needed.
    provisional_sent_ = true;
    env_.stop_timer(TimerName::trying);
    return send_or_fail(last_response_);
  }
  env_.stop_timer(TimerName::trying);
  if (!send_or_fail(last_response_)) return false;
  if (status < 300) {
    // RFC 6026 §7.1: a 2xx moves to Accepted (not Terminated) for Timer L = 64*T1. Accepted
    // absorbs the INVITE's retransmissions and re-sends nothing by itself (the TU re-sends its
    // 2xx), so neither the INVITE nor the 2xx is kept for those 32 s: freed now, their memory
    // serves the next calls instead of new pages (~10 KB fresh per proxied call before).
    state_ = State::accepted;
    env_.start_timer(TimerName::L, 64 * settings_.t1);
    invite_.reset();
    std::string().swap(last_response_);
    return true;
  }
  // §17.2.1: a 300-699 moves to Completed: retransmit it on Timer G (T1 doubling to T2,
  // unreliable transports only) until the ACK, giving up on Timer H (64*T1).
  state_ = State::completed;
  if (transport_ == TransportKind::unreliable) {
    timer_g_ = settings_.t1;
    env_.start_timer(TimerName::G, timer_g_);
  }
  env_.start_timer(TimerName::H, 64 * settings_.t1);
  return true;
}

void ServerInvite::on_timer(TimerName name) {
  switch (name) {
    case TimerName::trying:
      // §17.2.1: the TU was silent for 200 ms: send 100 Trying for it.
      if (state_ != State::proceeding || provisional_sent_) return;
      last_response_ = sip::MessageBuilder::response_to(*invite_, 100).serialize();
      provisional_sent_ = true;
      send_or_fail(last_response_);
      return;
    case TimerName::G:
      if (state_ != State::completed) return;
      if (!send_or_fail(last_response_)) return;
      timer_g_ = std::min(2 * timer_g_, settings_.t2);
      env_.start_timer(TimerName::G, timer_g_);
      return;
    case TimerName::H:
      // §17.2.1: no ACK within 64*T1; the TU is told (§17.2.4 treats it as a failure).
      if (state_ != State::completed) return;
      env_.timed_out();
      terminate();
      return;
    case TimerName::I:
      if (state_ == State::confirmed) terminate();
      return;
    case TimerName::L:
      if (state_ == State::accepted) terminate();  // RFC 6026 §7.1
      return;
    default: return;
  }
}

void ServerInvite::on_transport_error() {
  if (state_ == State::terminated) return;
  env_.transport_failed();
  terminate();
}

bool ServerInvite::send_or_fail(const std::string& bytes) {
  if (env_.send(bytes)) return true;
  // §17.2.4: the response could not be delivered: tell the TU and end the transaction.
  env_.transport_failed();
  terminate();
  return false;
}

void ServerInvite::terminate() {
  state_ = State::terminated;
  env_.stop_timer(TimerName::trying);
  env_.stop_timer(TimerName::G);
  env_.stop_timer(TimerName::H);
  env_.stop_timer(TimerName::I);
  env_.stop_timer(TimerName::L);
  env_.terminated();  // last: the owner may destroy this object here
}

}  // namespace osprey::txn
