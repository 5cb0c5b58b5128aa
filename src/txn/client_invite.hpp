#pragma once
// The INVITE client transaction (RFC 3261 §17.1.1.2, figure 5, as updated by RFC 6026 §8.4):
// sends the INVITE, retransmits it over unreliable transports (Timer A) until a response or
// Timer B, ACKs 300-699 responses itself, and passes every 2xx to the TU while Accepted.

#include <cstdint>
#include <memory>
#include <string>

#include "sip/message.hpp"
#include "txn/transaction_env.hpp"

namespace osprey::txn {

class ClientInvite {
 public:
  enum class State : std::uint8_t { calling, proceeding, accepted, completed, terminated };

  // Keeps the INVITE until a final response: the ACK for a failure is built from it (§17.1.1.3),
  // a CANCEL before one from invite(). If it carries edits,
  // it is re-parsed from its serialized form so its fields describe what goes on the wire.
  ClientInvite(TransactionEnv& env, TimerSettings settings, sip::Message invite);
  ClientInvite(const ClientInvite&) = delete;
  ClientInvite& operator=(const ClientInvite&) = delete;

  // Sends the INVITE and starts Timers A and B (Calling).
  void start(TransportKind transport);
  // A response whose client key matched this transaction (§17.1.3).
  void on_response(const sip::Message& response);
  void on_timer(TimerName name);
  // The transport reported a failure outside a send (a stream closed).
  void on_transport_error();

  State state() const { return state_; }
  // The INVITE as sent; null in Accepted, which keeps no copy (see the .cpp).
  const sip::Message* invite() const { return invite_.get(); }

 private:
  void on_failure_response(const sip::Message& response);
  void fail_transport();
  void terminate();

  TransactionEnv& env_;
  TimerSettings settings_;
  // On the heap: a Message is large (its inline header index), and a transaction table holds
  // many transactions, most of which are not client INVITEs.
  std::unique_ptr<sip::Message> invite_;
  std::string request_;  // the INVITE's bytes, sent and retransmitted (Calling)
  std::string ack_;      // the ACK for the 300-699 response, re-sent on retransmissions
  TransportKind transport_ = TransportKind::unreliable;
  State state_ = State::calling;
  Milliseconds timer_a_{0};
};

}  // namespace osprey::txn
