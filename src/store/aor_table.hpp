#pragma once
// One location-store shard's AORs: an open-addressing hash table (linear probing, deletion by
// backward shift, at most half full) of PackedAor blocks, found by the AOR text they hold. The
// caller hashes the AOR once, seeded, and passes the hash to every call.
//
// Why not std::unordered_set: a lookup there reads the bucket, then the node before the bucket's
// first, then that node, then the block, a division per node visited, and every one a likely
// cache miss: ~6 % of a worker's CPU per REGISTER (perf, 50,000 new AORs). Here a miss reads one
// line of slots and a hit one more, the block the caller reads anyway; a new AOR allocates no
// node. Slots are (hash, block) pairs, so probing compares hashes and opens only the block whose
// hash matches.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "store/packed_aor.hpp"

namespace osprey::store {

class AorTable {
 public:
  static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

  // The slot holding `aor` (hashed to `hash`), or npos.
  std::size_t find(std::string_view aor, std::uint64_t hash) const;
  // Puts `packed` (not empty), whose AOR hashes to `hash` and is not in the table; returns its
  // slot. Slot numbers change with every insert and erase.
  std::size_t insert(std::uint64_t hash, PackedAor packed);
  // Frees the block in `slot` (from find or insert) and takes it out.
  void erase(std::size_t slot);
  // The block in `slot` (from find or insert), to read or to replace by one of the same AOR.
  PackedAor& at(std::size_t slot) { return slots_[slot].packed; }
  const PackedAor& at(std::size_t slot) const { return slots_[slot].packed; }

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    PackedAor packed;  // empty: a free slot
  };
  static constexpr std::size_t kMinSlots = 16;

  // The slot of `aor`, or the free slot where it would go (the table is never full).
  std::size_t probe(std::string_view aor, std::uint64_t hash) const;
  // Moves every block into a table of `count` slots (a power of two, more than twice size_).
  void rehash(std::size_t count);

  std::vector<Slot> slots_;  // empty, or a power of two
  std::size_t size_ = 0;
};

}  // namespace osprey::store
