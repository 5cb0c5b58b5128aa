#include "server/handover_mailbox.hpp"

#include <utility>

namespace osprey::server {

HandoverMailbox::Put HandoverMailbox::put(Letter letter, Clock::time_point now) {
  const Clock::time_point active{Clock::duration{last_active_.load(std::memory_order_relaxed)}};
  std::lock_guard lock(mutex_);
  if (letters_.size() >= kCapacity) return Put::full;
  if (letter.leg_request) {
    if (leg_requests_ >= kLegRequestCapacity) return Put::full;
    ++leg_requests_;
  }
  letters_.push_back(std::move(letter));
  has_mail_.store(true, std::memory_order_release);
  if (wake_pending_ || now - active < kActiveWindow) return Put::queued;
  wake_pending_ = true;
  return Put::wake_owner;
}

void HandoverMailbox::take_all(std::vector<Letter>& out) {
  std::lock_guard lock(mutex_);
  if (out.empty()) {
    // The usual case: the vectors trade places, so the senders wait on the lock for a swap of
    // three pointers, not for every letter to be moved.
    out.swap(letters_);
  } else {
    for (Letter& letter : letters_) out.push_back(std::move(letter));
    letters_.clear();
  }
  leg_requests_ = 0;
  has_mail_.store(false, std::memory_order_release);
  wake_pending_ = false;
}

}  // namespace osprey::server
