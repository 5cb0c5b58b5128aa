#pragma once
// A hashed timer wheel (Varghese & Lauck): schedule and cancel are O(1), advancing costs one
// slot per tick. One wheel per worker thread; nothing here is shared or locked.
//
// Timers carry an opaque 64-bit cookie instead of a callback, so scheduling allocates nothing;
// the owner maps the cookie back to its transaction and timer name when advance() fires it.

#include <chrono>
#include <cstdint>
#include <vector>

namespace osprey::txn {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Milliseconds = std::chrono::milliseconds;

struct TimerId {
  std::uint32_t index = UINT32_MAX;
  std::uint32_t generation = 0;
  bool valid() const { return index != UINT32_MAX; }
};

class TimerWheel {
 public:
  // `tick` is the resolution; a timer fires at the first tick at or after its deadline.
  TimerWheel(TimePoint start, Milliseconds tick = Milliseconds(10), std::uint32_t slots = 1024);

  TimerId schedule(Milliseconds delay, std::uint64_t cookie);
  // False if the timer already fired or was cancelled (its id is stale).
  bool cancel(TimerId id);

  // Fires every timer due by `now`, calling fire(cookie) in deadline order (tick resolution).
  // fire may schedule and cancel timers, including ones due in this same call.
  template <typename Fire>
  void advance(TimePoint now, Fire&& fire);

  std::size_t size() const { return active_; }
  TimePoint now() const { return current_; }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Node {
    std::uint32_t prev = kNone;
    std::uint32_t next = kNone;
    std::uint32_t slot = kNone;  // slot index, kReady, or kNone when free
    std::uint32_t generation = 0;
    std::uint64_t rounds = 0;  // whole turns of the wheel still to wait
    std::uint64_t cookie = 0;
  };
  static constexpr std::uint32_t kReady = UINT32_MAX - 1;

  std::uint32_t& head_of(std::uint32_t slot) { return slot == kReady ? ready_ : heads_[slot]; }
  void link(std::uint32_t node, std::uint32_t slot);
  void unlink(std::uint32_t node);
  void release(std::uint32_t node);
  // Moves the due timers of the current slot to the ready list; counts down the others.
  void collect_due();

  Milliseconds tick_;
  TimePoint current_;  // time of the last processed tick
  std::uint32_t cursor_ = 0;
  std::vector<std::uint32_t> heads_;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  std::uint32_t ready_ = kNone;
  std::size_t active_ = 0;
};

template <typename Fire>
void TimerWheel::advance(TimePoint now, Fire&& fire) {
  while (current_ + tick_ <= now) {
    current_ += tick_;
    cursor_ = (cursor_ + 1) % static_cast<std::uint32_t>(heads_.size());
    collect_due();
    while (ready_ != kNone) {
      std::uint32_t node = ready_;
      std::uint64_t cookie = nodes_[node].cookie;
      unlink(node);
      release(node);
      fire(cookie);
    }
  }
}

}  // namespace osprey::txn
