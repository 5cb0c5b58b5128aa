#include "txn/client_invite.hpp"

#include <utility>

#include "txn/ack_builder.hpp"

namespace osprey::txn {

namespace {
sip::Message as_sent(sip::Message invite) {
  if (!invite.edited()) return invite;
  auto reparsed = invite.reparsed();
  // Our own serialization always parses; if it ever did not, the edited message is still the
  // best description we have.
  if (!reparsed) return invite;
  return std::move(*reparsed);
}
}  // namespace

ClientInvite::ClientInvite(TransactionEnv& env, TimerSettings settings, sip::Message invite)
    : env_(env), settings_(settings), invite_(std::make_unique<sip::Message>(as_sent(std::move(invite)))) {}

void ClientInvite::start(TransportKind transport) {
  transport_ = transport;
  state_ = State::calling;
  request_ = invite_->serialize();
  if (!env_.send(request_)) {
    fail_transport();
    return;
  }
  // RFC 3261 §17.1.1.2: Timer A = T1 over unreliable transports only; Timer B = 64*T1 always.
  if (transport_ == TransportKind::unreliable) {
    timer_a_ = settings_.t1;
    env_.start_timer(TimerName::A, timer_a_);
  }
  env_.start_timer(TimerName::B, 64 * settings_.t1);
}

void ClientInvite::on_response(const sip::Message& response) {
  int status = response.status();
  if (status < 100 || status > 699) return;
  switch (state_) {
    case State::calling:
    case State::proceeding:
      if (status < 200) {
        // §17.1.1.2: a provisional stops retransmissions (Timer A) and goes to the TU. Timer B
        // has no role after Calling (figure 5), so it stops too.
        state_ = State::proceeding;
        env_.stop_timer(TimerName::A);
        env_.stop_timer(TimerName::B);
        env_.deliver_response(response);
      } else if (status < 300) {
        // RFC 6026 §8.4: a 2xx moves to Accepted (not Terminated) so that 2xx retransmissions
        // from other forks still reach the TU; Timer M = 64*T1 bounds the wait.
        state_ = State::accepted;
        env_.stop_timer(TimerName::A);
        env_.stop_timer(TimerName::B);
        env_.start_timer(TimerName::M, 64 * settings_.t1);
        // Accepted only passes 2xx up for Timer M (32 s): the INVITE (~2 KB parsed, its bytes
        // again) is not needed any more. Let go now, its memory serves the next calls instead of
        // new pages: at 1,000 calls/s each call's fresh memory was ~10 KB, two page faults.
        invite_.reset();
        std::string().swap(request_);
        env_.deliver_response(response);
      } else {
        on_failure_response(response);
      }
      return;
    case State::accepted:
      // RFC 6026 §8.4: every 2xx in Accepted goes to the TU; anything else is discarded.
      if (status >= 200 && status < 300) env_.deliver_response(response);
      return;
    case State::completed:
      // §17.1.1.2: a retransmitted final response is ACKed again and not passed up.
      if (status >= 300 && !env_.send(ack_)) terminate();
      return;
    case State::terminated: return;
  }
}

void ClientInvite::on_failure_response(const sip::Message& response) {
  // §17.1.1.2: 300-699 moves to Completed: ACK it (§17.1.1.3), pass it up, and wait Timer D
  // (at least 32 s over unreliable transports, zero over reliable) for retransmissions.
  state_ = State::completed;
  env_.stop_timer(TimerName::A);
  env_.stop_timer(TimerName::B);
  ack_ = build_ack_for_failure(*invite_, response);
  bool ack_sent = env_.send(ack_);
  if (ack_sent && transport_ == TransportKind::unreliable) {
    env_.start_timer(TimerName::D, Milliseconds(32000));
    env_.deliver_response(response);
    return;
  }
  // Reliable transport, or the ACK could not be sent: the TU already gets its final response,
  // so a failed ACK is not reported as a 503 (§17.1.4 substitutes a 503 for a missing response).
  env_.deliver_response(response);
  terminate();
}

void ClientInvite::on_timer(TimerName name) {
  switch (name) {
    case TimerName::A:
      if (state_ != State::calling) return;
      // §17.1.1.2: retransmit and double the interval (no T2 cap for INVITE requests).
      if (!env_.send(request_)) {
        fail_transport();
        return;
      }
      timer_a_ *= 2;
      env_.start_timer(TimerName::A, timer_a_);
      return;
    case TimerName::B:
      if (state_ != State::calling) return;
      // §17.1.1.2: no response within 64*T1: the TU acts as if it got a 408.
      env_.timed_out();
      terminate();
      return;
    case TimerName::D:
      if (state_ == State::completed) terminate();
      return;
    case TimerName::M:
      if (state_ == State::accepted) terminate();  // RFC 6026 §8.4
      return;
    default: return;
  }
}

void ClientInvite::on_transport_error() {
  // Only before a final response does the TU need a 503 in place of an answer (§17.1.4).
  if (state_ == State::calling || state_ == State::proceeding) fail_transport();
}

void ClientInvite::fail_transport() {
  env_.transport_failed();
  terminate();
}

void ClientInvite::terminate() {
  state_ = State::terminated;
  env_.stop_timer(TimerName::A);
  env_.stop_timer(TimerName::B);
  env_.stop_timer(TimerName::D);
  env_.stop_timer(TimerName::M);
  env_.terminated();  // last: the owner may destroy this object here
}

}  // namespace osprey::txn
