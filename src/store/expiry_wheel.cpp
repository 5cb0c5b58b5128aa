#include "store/expiry_wheel.hpp"

#include <algorithm>
#include <bit>
#include <new>

namespace osprey::store {
namespace {

PackedAor::WheelLink* link_of(char* block) {
  return std::launder(reinterpret_cast<PackedAor::WheelLink*>(block));
}

}  // namespace

ExpiryWheel::ExpiryWheel(std::size_t slots)
    : slots_(std::bit_ceil(std::max<std::size_t>(slots, 1)), nullptr), mask_(slots_.size() - 1) {}

void ExpiryWheel::insert(const PackedAor& aor) { link(reinterpret_cast<char*>(aor.wheel_link())); }

void ExpiryWheel::link(char* block) {
  PackedAor::WheelLink* entry = link_of(block);
  std::int64_t second = PackedAor::earliest_expiry_of(block);
  if (swept_ != kNeverSwept && second <= swept_) second = swept_ + 1;
  char*& head = slots_[static_cast<std::size_t>(second) & mask_];
  entry->next = head;
  entry->pprev = &head;
  if (head != nullptr) link_of(head)->pprev = &entry->next;
  head = block;
}

void ExpiryWheel::rethread() {
  std::vector<char*> blocks;
  for (char*& head : slots_) {
    for (char* block = head; block != nullptr; block = link_of(block)->next) blocks.push_back(block);
    head = nullptr;
  }
  swept_ = kNeverSwept;
  for (char* block : blocks) link(block);
}

void ExpiryWheel::sweep_slot(std::size_t slot, std::int64_t now, std::vector<std::string>& due) const {
  for (char* block = slots_[slot]; block != nullptr; block = link_of(block)->next) {
    if (PackedAor::earliest_expiry_of(block) <= now) due.emplace_back(PackedAor::aor_of(block));
  }
}

void ExpiryWheel::sweep(std::int64_t now, std::vector<std::string>& due) {
  if (now == swept_) return;
  // A clock stepped back (the time is the wall clock's): blocks inserted since were moved past
  // the old last second; each goes back to the slot of its own expiry, and every slot is seen.
  if (swept_ != kNeverSwept && now < swept_) rethread();
  // The first sweep, or a pause of a whole turn or more: the seconds between the last sweep and
  // now do not name the slots to visit.
  const bool every_slot = swept_ == kNeverSwept || static_cast<std::uint64_t>(now - swept_) >= slots_.size();
  if (every_slot) {
    for (std::size_t slot = 0; slot < slots_.size(); ++slot) sweep_slot(slot, now, due);
  } else {
    for (std::int64_t second = swept_ + 1; second <= now; ++second) {
      sweep_slot(static_cast<std::size_t>(second) & mask_, now, due);
    }
  }
  swept_ = now;
}

}  // namespace osprey::store
