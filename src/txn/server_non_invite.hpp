#pragma once
// The non-INVITE server transaction (RFC 3261 §17.2.2, figure 8): absorbs request
// retransmissions, re-sends the TU's last response to them, and lingers 64*T1 after a final
// response (Timer J) over unreliable transports so late retransmissions are still answered.

#include <cstdint>
#include <string>
#include <utility>

#include "txn/transaction_env.hpp"

namespace osprey::txn {

class ServerNonInvite {
 public:
  enum class State : std::uint8_t { trying, proceeding, completed, terminated };

  // Created in Trying when the request arrives; the request itself goes to the TU via the owner.
  ServerNonInvite(TransactionEnv& env, TimerSettings settings, TransportKind transport)
      : env_(env), settings_(settings), transport_(transport) {}
  ServerNonInvite(const ServerNonInvite&) = delete;
  ServerNonInvite& operator=(const ServerNonInvite&) = delete;

  // A request whose server key matched this transaction (§17.2.3).
  void on_request_retransmission();
  // A response from the TU (`status` is its status code). False if the transaction takes no
  // more responses (a final was already sent) or the transport failed.
  bool respond(std::string response, int status);
  void on_timer(TimerName name);
  // RFC 4320 §4.2: the TU will send no final response (a proxy whose branches all timed out
  // must not answer 408; the client's own Timer F ends its transaction). The transaction goes
  // to Completed without a response: retransmissions are absorbed, unanswered, for Timer J
  // (so they do not start the request again), and it ends then, or at once over a reliable
  // transport.
  void abandon();
  // The transport reported a failure outside a send (a stream closed).
  void on_transport_error();

  State state() const { return state_; }
  // For a table that keeps the Completed state in compact form (CompletedResponses): the final
  // response, moved out. The machine answers nothing after this and is to be dropped.
  std::string take_last_response() { return std::move(last_response_); }

 private:
  void fail_transport();
  void terminate();

  TransactionEnv& env_;
  TimerSettings settings_;
  TransportKind transport_;
  State state_ = State::trying;
  std::string last_response_;
};

}  // namespace osprey::txn
