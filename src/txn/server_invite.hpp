#pragma once
// The INVITE server transaction (RFC 3261 §17.2.1, figure 7, as updated by RFC 6026 §7.1,
// figure 5): answers with 100 Trying if the TU is silent for 200 ms, re-sends the last response
// to retransmitted INVITEs, retransmits 300-699 responses until the ACK (Timers G, H), and after
// a 2xx stays Accepted for 64*T1 so further 2xx go out and ACKs for them reach the TU.

#include <cstdint>
#include <memory>
#include <string>

#include "sip/message.hpp"
#include "txn/transaction_env.hpp"

namespace osprey::txn {

class ServerInvite {
 public:
  enum class State : std::uint8_t { proceeding, completed, confirmed, accepted, terminated };

  // Created in Proceeding when the INVITE arrives; starts the 100 Trying timer (§17.2.1). The
  // INVITE is kept to build that 100.
  ServerInvite(TransactionEnv& env, TimerSettings settings, TransportKind transport, sip::Message invite);
  ServerInvite(const ServerInvite&) = delete;
  ServerInvite& operator=(const ServerInvite&) = delete;

  // An INVITE whose server key matched this transaction (§17.2.3).
  void on_request_retransmission();
  // An ACK whose server key matched this transaction.
  void on_ack(const sip::Message& ack);
  // A response from the TU (`status` is its status code). False if the state takes no such
  // response (a provisional after a final, anything after a 300-699) or the transport failed.
  bool respond(std::string response, int status);
  void on_timer(TimerName name);
  // The transport reported a failure outside a send (a stream closed).
  void on_transport_error();

  State state() const { return state_; }
  // The INVITE; null in Accepted, which keeps no copy (see respond()).
  const sip::Message* invite() const { return invite_.get(); }

 private:
  bool send_or_fail(const std::string& bytes);
  void terminate();

  TransactionEnv& env_;
  TimerSettings settings_;
  TransportKind transport_;
  std::unique_ptr<sip::Message> invite_;  // on the heap: see ClientInvite
  State state_ = State::proceeding;
  std::string last_response_;  // the last provisional (Proceeding) or the 300-699 (Completed)
  bool provisional_sent_ = false;
  Milliseconds timer_g_{0};
};

}  // namespace osprey::txn
