#include "txn/completed_responses.hpp"

#include <cstring>
#include <functional>
#include <new>
#include <type_traits>

namespace osprey::txn {
namespace {
constexpr std::size_t kMinSlots = 64;
}  // namespace

// Records are released by moving the arena's read mark: nothing runs a destructor.
static_assert(std::is_trivially_destructible_v<CompletedResponses::Entry>);
static_assert(alignof(CompletedResponses::Entry) <= FifoArena::kAlignment);

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
  // A SIP message over UDP is far below 4 GB (RFC 3261 §18.1.1: 65,535 bytes at most).
  const auto key_size = static_cast<std::uint32_t>(key.size());
  const auto response_size = static_cast<std::uint32_t>(response.size());
  char* record = records_.append(sizeof(Entry) + key_size + response_size);
  const Entry* entry = new (record) Entry{hash, now + linger_, flow, key_size, response_size};
  if (!key.empty()) std::memcpy(record + sizeof(Entry), key.data(), key.size());
  if (!response.empty()) std::memcpy(record + sizeof(Entry) + key.size(), response.data(), response.size());

  if ((indexed_ + 1) * 2 > slot_count_) resize(slot_count_ == 0 ? kMinSlots : slot_count_ * 2);
  Slot& slot = slots_[probe(hash, key)];
  if (slot.entry == nullptr) {
    slot = {hash, entry};
    ++indexed_;
  } else {
    // The older entry stays queued until its time, unreachable: the key now names the new one.
    slot.entry = entry;
  }
}

const CompletedResponses::Entry* CompletedResponses::find(std::string_view key) const {
  if (indexed_ == 0) return nullptr;
  return slots_[probe(hash_of(key), key)].entry;
}

std::size_t CompletedResponses::probe(std::uint64_t hash, std::string_view key) const {
  const std::size_t mask = slot_count_ - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.entry == nullptr) return i;
    if (slot.hash == hash && slot.entry->key() == key) return i;
  }
}

void CompletedResponses::expire(TimePoint now) {
  while (char* record = records_.oldest()) {
    const Entry* oldest = std::launder(reinterpret_cast<const Entry*>(record));
    if (oldest->expires > now) break;
    if (Slot* slot = slot_of(oldest->hash, oldest)) remove(*slot);
    records_.release_oldest(record_size(*oldest));
  }
  // After a burst: give the memory back once the table is mostly empty (an eighth full).
  if (slot_count_ > kMinSlots && indexed_ * 8 < slot_count_) resize(slot_count_ / 2);
}

CompletedResponses::Slot* CompletedResponses::slot_of(std::uint64_t hash, const Entry* entry) {
  if (slot_count_ == 0) return nullptr;
  const std::size_t mask = slot_count_ - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.entry == nullptr) return nullptr;  // superseded: a newer entry took its key
    if (slot.entry == entry) return &slot;
  }
}

void CompletedResponses::remove(Slot& slot) {
  const std::size_t mask = slot_count_ - 1;
  std::size_t hole = static_cast<std::size_t>(&slot - slots_);
  for (std::size_t i = (hole + 1) & mask; slots_[i].entry != nullptr; i = (i + 1) & mask) {
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

void CompletedResponses::resize(std::size_t count) {
  HugePageBlock block(count * sizeof(Slot));
  // Constructing the slots writes zeros over a mapping that is zeroed already; the rehash below
  // touches nearly every page of it anyway (a quarter of the slots, spread by the hash).
  Slot* slots = new (block.data()) Slot[count];
  const std::size_t mask = count - 1;
  for (std::size_t old = 0; old < slot_count_; ++old) {
    const Slot& slot = slots_[old];
    if (slot.entry == nullptr) continue;
    std::size_t i = slot.hash & mask;
    while (slots[i].entry != nullptr) i = (i + 1) & mask;
    slots[i] = slot;
  }
  slot_block_ = std::move(block);
  slots_ = slots;
  slot_count_ = count;
}

}  // namespace osprey::txn
