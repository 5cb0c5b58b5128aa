#pragma once
// The non-INVITE client transaction (RFC 3261 §17.1.2.2, figure 6): sends a request, retransmits
// it over unreliable transports (Timer E), gives up after Timer F, and absorbs retransmitted
// final responses for T4 (Timer K).

#include <cstdint>
#include <string>

#include "sip/message.hpp"
#include "txn/transaction_env.hpp"

namespace osprey::txn {

class ClientNonInvite {
 public:
  enum class State : std::uint8_t { trying, proceeding, completed, terminated };

  ClientNonInvite(TransactionEnv& env, TimerSettings settings) : env_(env), settings_(settings) {}
  ClientNonInvite(const ClientNonInvite&) = delete;
  ClientNonInvite& operator=(const ClientNonInvite&) = delete;

  // Sends the request (kept for retransmission) and starts Timers E and F.
  void start(std::string request, TransportKind transport);
  // A response whose client key matched this transaction (§17.1.3).
  void on_response(const sip::Message& response);
  void on_timer(TimerName name);
  // The transport reported a failure outside a send (a stream closed).
  void on_transport_error();

  State state() const { return state_; }

 private:
  void retransmit();
  void fail_transport();
  void terminate();

  TransactionEnv& env_;
  TimerSettings settings_;
  TransportKind transport_ = TransportKind::unreliable;
  State state_ = State::trying;
  std::string request_;  // as sent and retransmitted; empty from Completed on
  Milliseconds timer_e_{0};
};

}  // namespace osprey::txn
