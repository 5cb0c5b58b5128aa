#include "txn/server_non_invite.hpp"

#include <utility>

namespace osprey::txn {

void ServerNonInvite::on_request_retransmission() {
  // §17.2.2: absorbed in Trying (nothing to answer with yet); in Proceeding and Completed the
  // last response is sent again.
  if (state_ != State::proceeding && state_ != State::completed) return;
  if (last_response_.empty()) return;  // abandoned: nothing to repeat
  if (!env_.send(last_response_)) fail_transport();
}

bool ServerNonInvite::respond(std::string response, int status) {
  if (state_ != State::trying && state_ != State::proceeding) return false;
  if (status < 100 || status > 699) return false;
  last_response_ = std::move(response);
  if (!env_.send(last_response_)) {
    fail_transport();
    return false;
  }
  if (status < 200) {
    state_ = State::proceeding;  // §17.2.2: a provisional moves Trying to Proceeding
    return true;
  }
  // §17.2.2: a final moves to Completed; Timer J = 64*T1 over unreliable transports keeps the
  // response for retransmitted requests, zero over reliable ones.
  state_ = State::completed;
  if (transport_ == TransportKind::unreliable) {
    env_.start_timer(TimerName::J, 64 * settings_.t1);
  } else {
    terminate();
  }
  return true;
}

void ServerNonInvite::abandon() {
  if (state_ != State::trying && state_ != State::proceeding) return;
  last_response_.clear();
  state_ = State::completed;
  if (transport_ == TransportKind::unreliable) {
    env_.start_timer(TimerName::J, 64 * settings_.t1);
  } else {
    terminate();
  }
}

void ServerNonInvite::on_timer(TimerName name) {
  if (name == TimerName::J && state_ == State::completed) terminate();
}

void ServerNonInvite::on_transport_error() {
  if (state_ != State::terminated) fail_transport();
}

void ServerNonInvite::fail_transport() {
  // §17.2.4: the TU is told the response could not be delivered, and the transaction ends.
  env_.transport_failed();
  terminate();
}

void ServerNonInvite::terminate() {
  state_ = State::terminated;
  env_.stop_timer(TimerName::J);
  env_.terminated();  // last: the owner may destroy this object here
}

}  // namespace osprey::txn
