#include "txn/client_non_invite.hpp"

#include <algorithm>
#include <utility>

namespace osprey::txn {

void ClientNonInvite::start(std::string request, TransportKind transport) {
  request_ = std::move(request);
  transport_ = transport;
  state_ = State::trying;
  if (!env_.send(request_)) {
    fail_transport();
    return;
  }
  // RFC 3261 §17.1.2.2: Timer E = T1 over unreliable transports only; Timer F = 64*T1 always.
  if (transport_ == TransportKind::unreliable) {
    timer_e_ = settings_.t1;
    env_.start_timer(TimerName::E, timer_e_);
  }
  env_.start_timer(TimerName::F, 64 * settings_.t1);
}

void ClientNonInvite::on_response(const sip::Message& response) {
  if (state_ != State::trying && state_ != State::proceeding) {
    // §17.1.2.2: Completed buffers (absorbs) retransmitted responses; Terminated has none to give.
    return;
  }
  int status = response.status();
  if (status >= 100 && status < 200) {
    // §17.1.2.2: a provisional moves Trying to Proceeding and goes to the TU.
    state_ = State::proceeding;
    env_.deliver_response(response);
    return;
  }
  if (status < 200 || status > 699) return;  // not a SIP status: nothing the figure knows
  // §17.1.2.2: a final response moves to Completed and goes to the TU; Timer K = T4 waits for
  // retransmitted responses over unreliable transports, zero over reliable ones.
  env_.stop_timer(TimerName::E);
  env_.stop_timer(TimerName::F);
  state_ = State::completed;
  // Completed never sends the request again: let go of its bytes now rather than after Timer K
  // (5 s over UDP; at 8,000 MESSAGEs/s that is 40,000 requests held for nothing).
  std::string().swap(request_);
  if (transport_ == TransportKind::unreliable) {
    env_.start_timer(TimerName::K, settings_.t4);
    env_.deliver_response(response);
    return;
  }
  env_.deliver_response(response);
  terminate();
}

void ClientNonInvite::on_timer(TimerName name) {
  switch (name) {
    case TimerName::E:
      if (state_ == State::trying || state_ == State::proceeding) retransmit();
      return;
    case TimerName::F:
      // §17.1.2.2: Timer F in Trying or Proceeding: the TU is told of the timeout (408).
      if (state_ == State::trying || state_ == State::proceeding) {
        env_.timed_out();
        terminate();
      }
      return;
    case TimerName::K:
      if (state_ == State::completed) terminate();
      return;
    default: return;
  }
}

void ClientNonInvite::on_transport_error() {
  // In Completed the TU already has its final response; a late failure changes nothing for it.
  if (state_ == State::trying || state_ == State::proceeding) fail_transport();
}

void ClientNonInvite::retransmit() {
  if (!env_.send(request_)) {
    fail_transport();
    return;
  }
  // §17.1.2.2: in Trying the interval doubles up to T2; in Proceeding it is T2.
  timer_e_ = state_ == State::trying ? std::min(2 * timer_e_, settings_.t2) : settings_.t2;
  env_.start_timer(TimerName::E, timer_e_);
}

void ClientNonInvite::fail_transport() {
  // §17.1.4: the TU learns of the failure (as a 503) and the transaction ends.
  env_.transport_failed();
  terminate();
}

void ClientNonInvite::terminate() {
  state_ = State::terminated;
  env_.stop_timer(TimerName::E);
  env_.stop_timer(TimerName::F);
  env_.stop_timer(TimerName::K);
  env_.terminated();  // last: the owner may destroy this object here
}

}  // namespace osprey::txn
