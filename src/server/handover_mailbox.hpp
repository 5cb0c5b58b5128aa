#pragma once
// Responses one worker read for a transaction another worker owns (Worker::hand_over), CANCELs
// looking for the worker that holds their INVITE, and (SBC mode) in-dialog requests at a B2BUA
// leg's Contact, which name the worker that owns their call.
//
// Posting each one to the owner's io_context wakes the owner's thread: an epoll interrupt and,
// on a VM, a virtual CPU's wake-up, measured at about 10 us per proxied MESSAGE when the caller
// and the callee land on different workers (a quarter of the transaction's cost). An owner that
// was busy within the last kActiveWindow runs again shortly for its own traffic, so the response
// waits here for it, like interrupt coalescing in a network card; only a quiet owner is woken.
// The owner empties the mailbox whenever it reads a message and on every timer tick (10 ms),
// so a response is never held longer than one tick.
//
// Bounded: the owner is named by a response's branch, which anyone can forge, so responses from
// every other worker could be aimed at one owner. Past kCapacity letters they are refused
// (counted by the caller as dropped); over UDP the sender retransmits (RFC 3261 §17.1.1.2),
// over a stream the transaction times out (Timer B/F). A live owner empties the mailbox at
// least every tick, so only a flood fills it.
//
// Requests at a B2BUA leg's Contact are bounded on their own too (kLegRequestCapacity): the
// worker index in such a Request-URI is all anyone needs to aim them at one worker, so a flood
// of them must not take the room that responses and CANCELs need to reach their owner.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "net/flow.hpp"
#include "sip/message.hpp"

namespace osprey::server {

class HandoverMailbox {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::microseconds kActiveWindow{1000};
  // About 8 MB of letters (a parsed response is under 2 KB): far more than a tick's traffic.
  static constexpr std::size_t kCapacity = 4096;
  // Of which requests at a B2BUA leg's Contact take at most this many.
  static constexpr std::size_t kLegRequestCapacity = 1024;

  struct Letter {
    // Or a CANCEL looking for its INVITE (Worker::pass_cancel_on), or a request for a B2BUA
    // call of the owner (sbc/leg_contact.hpp).
    sip::Message response;
    net::Flow flow;
    unsigned cancel_visits = 0;  // a CANCEL: how many workers looked for its INVITE so far
    bool leg_request = false;    // a request at a B2BUA leg's Contact (kLegRequestCapacity)
  };

  enum class Put {
    queued,      // the owner will find it when it next runs
    wake_owner,  // queued; the owner has been quiet for longer than the window and no wake-up
                 // is on its way yet: the caller must wake it
    full,        // refused: kCapacity letters are waiting (kLegRequestCapacity leg requests)
  };
  // Any thread.
  Put put(Letter letter, Clock::time_point now);
  // The owner's thread: it is running now.
  void note_active(Clock::time_point now) {
    last_active_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  }
  // The owner's thread: a cheap look before taking the lock.
  bool maybe_has_mail() const { return has_mail_.load(std::memory_order_acquire); }
  // The owner's thread: every letter, in the order they were put (appended to `out`).
  void take_all(std::vector<Letter>& out);

 private:
  std::mutex mutex_;
  std::vector<Letter> letters_;
  std::size_t leg_requests_ = 0;  // of letters_
  bool wake_pending_ = false;
  std::atomic<bool> has_mail_{false};
  std::atomic<Clock::rep> last_active_{0};
};

}  // namespace osprey::server
