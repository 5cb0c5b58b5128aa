#include "store/aor_table.hpp"

#include <new>
#include <utility>

namespace osprey::store {

std::size_t AorTable::probe(std::string_view aor, std::uint64_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (!slot.packed || (slot.hash == hash && slot.packed.aor() == aor)) return i;
  }
}

std::size_t AorTable::find(std::string_view aor, std::uint64_t hash) const {
  if (size_ == 0) return npos;
  const std::size_t i = probe(aor, hash);
  return slots_[i].packed ? i : npos;
}

std::size_t AorTable::insert(std::uint64_t hash, PackedAor packed) {
  if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? kMinSlots : slots_.size() * 2);
  const std::size_t i = probe(packed.aor(), hash);
  slots_[i].hash = hash;
  slots_[i].packed = std::move(packed);
  ++size_;
  return i;
}

void AorTable::erase(std::size_t slot) {
  slots_[slot].packed = PackedAor{};  // frees the block (or drops the store's share of it)
  --size_;
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = slot;
  for (std::size_t i = (hole + 1) & mask; slots_[i].packed; i = (i + 1) & mask) {
    // The block at i may move back into the hole only if its home is not in (hole, i]: else a
    // probe from its home would stop at the hole before reaching it.
    const std::size_t home = slots_[i].hash & mask;
    const bool home_between = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
    if (!home_between) {
      slots_[hole].hash = slots_[i].hash;
      slots_[hole].packed = std::move(slots_[i].packed);
      hole = i;
    }
  }
  // After a wave of expiries: give the memory back once the table is mostly empty. Only an
  // economy: without memory for the smaller table, the bigger one stays and erase() still holds.
  if (slots_.size() > kMinSlots && size_ * 8 < slots_.size()) {
    try {
      rehash(slots_.size() / 2);
    } catch (const std::bad_alloc&) {
    }
  }
}

void AorTable::rehash(std::size_t count) {
  std::vector<Slot> old(count);
  old.swap(slots_);
  const std::size_t mask = count - 1;
  for (Slot& slot : old) {
    if (!slot.packed) continue;
    std::size_t i = slot.hash & mask;
    while (slots_[i].packed) i = (i + 1) & mask;
    slots_[i].hash = slot.hash;
    slots_[i].packed = std::move(slot.packed);
  }
}

}  // namespace osprey::store
