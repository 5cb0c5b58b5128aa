#pragma once
// Which AORs have a binding that expires now, without visiting the others: a hashed timing
// wheel (Varghese and Lauck) of one-second slots. Each stored AOR block is threaded into the slot
// of its earliest expiry; a sweep walks only the slots of the seconds gone by since the last one.
// Bindings are therefore removed within a second of expiring (RFC 3261 §10.3 step 7: the
// registrar removes a binding once its expiration time has passed), at a cost proportional to
// what expires, not to how many bindings are stored.
//
// An expiry further away than the wheel's span sits in its slot for whole turns and is skipped
// until its second comes. Not thread-safe: the location store keeps one wheel per shard, under
// the shard's lock.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "store/packed_aor.hpp"

namespace osprey::store {

class ExpiryWheel {
 public:
  // `slots` is rounded up to a power of two; 4096 one-second slots cover more than an hour, the
  // usual registration interval, so nearly every block is visited once, when it is due.
  explicit ExpiryWheel(std::size_t slots = 4096);
  ExpiryWheel(const ExpiryWheel&) = delete;
  ExpiryWheel& operator=(const ExpiryWheel&) = delete;

  // Threads `aor` (not empty, not in a wheel) into the slot of its earliest expiry. An expiry
  // already swept goes into the next second to sweep, so it is not missed for a whole turn. The
  // block leaves the wheel by itself when it is freed or replaced (PackedAor::unlink).
  void insert(const PackedAor& aor);

  // Appends to `due` the name of every AOR with a binding expired by `now` (expires_at <= now)
  // among the slots of the seconds after the last sweep up to `now`; the first sweep, one after a
  // full turn, or one with `now` before the last (a clock stepped back: the blocks are threaded
  // again first) looks at every slot. Leaves the due blocks where they are: the caller replaces
  // them.
  void sweep(std::int64_t now, std::vector<std::string>& due);

 private:
  static constexpr std::int64_t kNeverSwept = std::numeric_limits<std::int64_t>::min();

  void sweep_slot(std::size_t slot, std::int64_t now, std::vector<std::string>& due) const;
  // Threads a block into the slot of its earliest expiry (or the next second to sweep).
  void link(char* block);
  // Takes every block out and links it again as if nothing had been swept: after the clock
  // stepped back. Costs one walk over the blocks.
  void rethread();

  std::vector<char*> slots_;  // heads of the intrusive lists
  std::size_t mask_;
  std::int64_t swept_ = kNeverSwept;  // the last second swept
};

}  // namespace osprey::store
