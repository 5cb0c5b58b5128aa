#pragma once
// What a transaction state machine needs from its owner (RFC 3261 §17): a way to send bytes, a
// way to run named timers, and upcalls to the transaction user (TU). The machines hold no
// socket and read no clock, so tests drive them with a fake and fire timers by hand.
//
// Re-entrancy contract: a machine makes its upcalls last in each event handler, and
// terminated() is always the very last thing it does, so the owner may destroy the machine
// from inside terminated(). From inside any other upcall the owner must not destroy it.

#include <cstdint>
#include <string_view>

#include "sip/message.hpp"
#include "txn/timer_wheel.hpp"

namespace osprey::txn {

// RFC 3261 §17.1.1.1 and table 4 (appendix A). `trying` is the 200 ms after which a server
// INVITE transaction sends 100 Trying itself (§17.2.1).
struct TimerSettings {
  Milliseconds t1{500};   // RTT estimate
  Milliseconds t2{4000};  // maximum retransmit interval for non-INVITE requests and INVITE responses
  Milliseconds t4{5000};  // maximum time a message stays in the network
  Milliseconds trying{200};
  // RFC 3261 §16.6 step 11: a proxied INVITE that got a provisional response but no final one is
  // CANCELled after Timer C, which MUST be more than 3 minutes and restarts with each provisional
  // other than 100 (§16.7 step 2). Without it a callee that rings forever would hold the branch, and the
  // whole request, forever. Zero turns it off.
  Milliseconds timer_c{181000};
};

// RFC 3261 table 4, plus M and L from RFC 6026 §8.4 / §8.7, plus the 100 Trying timer.
enum class TimerName : std::uint8_t { A, B, D, E, F, G, H, I, J, K, L, M, trying };

std::string_view to_string(TimerName name);

// RFC 3261 §17.1.1.2 / §17.1.2.2: retransmission timers run only over unreliable transports,
// and the "wait for stray retransmissions" timers are zero over reliable ones.
enum class TransportKind : std::uint8_t { unreliable, reliable };

class TransactionEnv {
 public:
  virtual ~TransactionEnv() = default;

  // Hands bytes to the transport. False is a transport error (RFC 3261 §17.1.4, §17.2.4).
  virtual bool send(std::string_view bytes) = 0;
  // Starts the timer, or restarts it with the new duration if it is running.
  virtual void start_timer(TimerName name, Milliseconds duration) = 0;
  // Stops the timer; a no-op if it is not running.
  virtual void stop_timer(TimerName name) = 0;

  // Client transactions: a response for the TU.
  virtual void deliver_response(const sip::Message& response) = 0;
  // Client transactions: Timer B or F fired; the TU acts as if it got a 408 (§17.1.1.2, §8.1.3.1).
  // Server INVITE: Timer H fired, no ACK came (§17.2.1).
  virtual void timed_out() = 0;
  // The transport failed; the TU acts as if it got a 503 (§17.1.4, §8.1.3.1).
  virtual void transport_failed() = 0;
  // Server INVITE in Accepted: an ACK for a 2xx belongs to the TU (RFC 6026 §7.1).
  virtual void deliver_ack(const sip::Message& ack) = 0;
  // The machine reached Terminated; the owner may destroy it now (see the contract above).
  virtual void terminated() = 0;
};

}  // namespace osprey::txn
