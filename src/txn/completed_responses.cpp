#include "txn/completed_responses.hpp"

#include <functional>
#include <utility>

namespace osprey::txn {
namespace {
constexpr std::size_t kMinSlots = 64;
}  // namespace

std::uint64_t CompletedResponses::hash_of(std::string_view key) const {
  // std::hash spreads the bytes; the seed and a multiply-xorshift spread the result over the
  // low bits the table uses, differently in every table.
  std::uint64_t h = std::hash<std::string_view>{}(key) ^ seed_;
  h *= 0x9E3779B97F4A7C15ULL;
  return h ^ (h >> 29);
}

void CompletedResponses::add(std::string_view key, std::string_view response, const net::Flow& flow,
                             TimePoint now) {
  const std::uint64_t hash = hash_of(key);
  const std::uint64_t number = first_number_ + entries_.size();
  // A SIP message over UDP is far below 4 GB (RFC 3261 §18.1.1: 65,535 bytes at most).
  entries_.push_back(Entry{bytes_.append(key, response), static_cast<std::uint32_t>(key.size()),
                           static_cast<std::uint32_t>(response.size()), flow, now + linger_, hash});
  if ((indexed_ + 1) * 2 > slots_.size()) resize(slots_.empty() ? kMinSlots : slots_.size() * 2);
  Slot& slot = slots_[probe(hash, key)];
  if (slot.number == 0) {
    slot = {hash, number};
    ++indexed_;
  } else {
    // The older entry stays queued until its time, unreachable: the key now names the new one.
    slot.number = number;
  }
}

const CompletedResponses::Entry* CompletedResponses::find(std::string_view key) const {
  if (indexed_ == 0) return nullptr;
  const Slot& slot = slots_[probe(hash_of(key), key)];
  return slot.number == 0 ? nullptr : &entries_[slot.number - first_number_];
}

std::size_t CompletedResponses::probe(std::uint64_t hash, std::string_view key) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.number == 0) return i;
    if (slot.hash == hash && entries_[slot.number - first_number_].key() == key) return i;
  }
}

void CompletedResponses::expire(TimePoint now) {
  while (!entries_.empty() && entries_.front().expires <= now) {
    if (Slot* slot = slot_of(entries_.front().hash, first_number_)) remove(*slot);
    entries_.pop_front();
    bytes_.release_oldest();
    ++first_number_;
  }
  // After a burst: give the memory back once the table is mostly empty (an eighth full).
  if (slots_.size() > kMinSlots && indexed_ * 8 < slots_.size()) resize(slots_.size() / 2);
}

CompletedResponses::Slot* CompletedResponses::slot_of(std::uint64_t hash, std::uint64_t number) {
  if (slots_.empty()) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.number == 0) return nullptr;  // superseded: a newer entry took its key
    if (slot.number == number) return &slot;
  }
}

void CompletedResponses::remove(Slot& slot) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = static_cast<std::size_t>(&slot - slots_.data());
  for (std::size_t i = (hole + 1) & mask; slots_[i].number != 0; i = (i + 1) & mask) {
    // The slot at i may move back into the hole only if its home is not in (hole, i]: else a
    // probe from its home would stop at the hole before reaching it.
    const std::size_t home = slots_[i].hash & mask;
    const bool home_between = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
    if (!home_between) {
      slots_[hole] = slots_[i];
      hole = i;
    }
  }
  slots_[hole] = Slot{};
  --indexed_;
}

void CompletedResponses::resize(std::size_t size) {
  std::vector<Slot> old(size);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.number == 0) continue;
    std::size_t i = slot.hash & mask;
    while (slots_[i].number != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace osprey::txn
