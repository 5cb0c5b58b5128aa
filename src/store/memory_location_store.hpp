#pragma once
// The location store's hot path: bindings in memory, sharded by AOR so workers updating
// different AORs never meet on a lock (DESIGN.md: no global lock, short per-key locks). With a
// BindingJournal attached, every change is also queued for durability under the same shard lock,
// so the journal sees one AOR's changes in the order memory applied them, and `durable` fires
// once the journal has them on disk.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "store/aor_table.hpp"
#include "store/binding_journal.hpp"
#include "store/expiry_wheel.hpp"
#include "store/location_store.hpp"
#include "store/packed_aor.hpp"

namespace osprey::store {

class MemoryLocationStore final : public LocationStore {
 public:
  // Without a journal the store is memory only: `durable` fires at once. The store owns the
  // journal and closes it (writing what is queued) when destroyed.
  explicit MemoryLocationStore(std::unique_ptr<BindingJournal> journal = nullptr);
  ~MemoryLocationStore() override;
  MemoryLocationStore(const MemoryLocationStore&) = delete;
  MemoryLocationStore& operator=(const MemoryLocationStore&) = delete;

  std::vector<Binding> lookup(std::string_view aor, std::int64_t now) const override;
  // `decide` runs under the shard lock: it must be quick and must not call this store. With a
  // journal, a change the file already holds (an expiry-only refresh, durable_expiry.hpp) is not
  // written again: `durable` then waits only for the writes queued before it.
  void update(std::string_view aor, std::int64_t now, const Decide& decide,
              std::function<void(bool ok)> durable) override;
  // Also queues the shrunk sets to the journal (without a callback), so the file holds what
  // memory holds and rows of AORs that stopped registering do not pile up until the next start.
  std::size_t expire(std::int64_t now) override;
  std::size_t aor_count() const override;
  std::size_t binding_count() const override;  // stored, including expired ones not yet swept

  // Puts bindings read back from the durable store at start-up (SqliteJournal::load); not
  // journaled. Replaces what `aor` had; an empty set is ignored.
  void restore(std::string_view aor, const std::vector<Binding>& bindings);

 private:
  // 64 shards: with a few dozen worker threads, two of them rarely want the same lock; each shard
  // on its own cache lines so the locks do not share one.
  static constexpr std::size_t kShards = 64;
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    // Before `aors`, so it outlives the blocks, which unlink themselves from it when freed.
    ExpiryWheel wheel;
    AorTable aors;
    // Written under `mutex`, read without it by the counters.
    std::atomic<std::size_t> aor_count{0};
    std::atomic<std::size_t> binding_count{0};
  };

  // The AOR's hash, seeded per store so that where AORs land is not predictable from outside.
  std::uint64_t hash_of(std::string_view aor) const;
  Shard& shard_for(std::uint64_t hash) const;
  // Makes `packed` the set of the AOR in `slot`, or of the AOR `packed` names (hashed to `hash`)
  // when `slot` is npos (empty `packed`: removes the AOR), and threads it into the shard's expiry
  // wheel. Under the lock; `slot` comes from the caller's own find, so the AOR is hashed and
  // looked up once.
  static void replace(Shard& shard, std::size_t slot, std::uint64_t hash, PackedAor packed);

  // Declared first so it is destroyed last; closed explicitly in the destructor while the shards
  // still exist, because its callbacks may still look bindings up.
  std::unique_ptr<BindingJournal> journal_;
  const std::uint64_t seed_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace osprey::store
