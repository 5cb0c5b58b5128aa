#include "store/memory_location_store.hpp"

#include "store/durable_expiry.hpp"

#include <functional>
#include <random>
#include <string>
#include <utility>

namespace osprey::store {

MemoryLocationStore::MemoryLocationStore(std::unique_ptr<BindingJournal> journal)
    : journal_(std::move(journal)),
      seed_((std::uint64_t{std::random_device{}()} << 32) | std::random_device{}()) {}

MemoryLocationStore::~MemoryLocationStore() {
  if (journal_) journal_->close();
}

std::uint64_t MemoryLocationStore::hash_of(std::string_view aor) const {
  // std::hash spreads the bytes; the seed and a multiply-xorshift spread the result over every
  // bit, the top ones picking the shard and the low ones the slot.
  std::uint64_t h = std::hash<std::string_view>{}(aor) ^ seed_;
  h *= 0x9E3779B97F4A7C15ULL;
  return h ^ (h >> 29);
}

MemoryLocationStore::Shard& MemoryLocationStore::shard_for(std::uint64_t hash) const {
  return shards_[(hash >> 58) & (kShards - 1)];
}

void MemoryLocationStore::replace(Shard& shard, std::size_t slot, std::uint64_t hash, PackedAor packed) {
  const std::size_t new_bindings = packed ? packed.size() : 0;
  std::size_t old_bindings = 0;
  // The old block, freed or overwritten below, leaves the wheel by itself.
  if (slot == AorTable::npos) {
    if (!packed) return;
    shard.wheel.insert(shard.aors.at(shard.aors.insert(hash, std::move(packed))));
    shard.aor_count.fetch_add(1, std::memory_order_relaxed);
  } else {
    PackedAor& current = shard.aors.at(slot);
    old_bindings = current.size();
    if (!packed) {
      shard.aors.erase(slot);
      shard.aor_count.fetch_sub(1, std::memory_order_relaxed);
    } else {
      current = std::move(packed);
      shard.wheel.insert(current);
    }
  }
  shard.binding_count.fetch_add(new_bindings, std::memory_order_relaxed);
  shard.binding_count.fetch_sub(old_bindings, std::memory_order_relaxed);
}

std::vector<Binding> MemoryLocationStore::lookup(std::string_view aor, std::int64_t now) const {
  const std::uint64_t hash = hash_of(aor);
  Shard& shard = shard_for(hash);
  std::lock_guard lock(shard.mutex);
  const std::size_t slot = shard.aors.find(aor, hash);
  if (slot == AorTable::npos) return {};
  return shard.aors.at(slot).live(now);
}

void MemoryLocationStore::update(std::string_view aor, std::int64_t now, const Decide& decide,
                                 std::function<void(bool ok)> durable) {
  // A no-op rather than nothing, so a refused write is told apart from an accepted one below.
  if (!durable) durable = [](bool) {};
  const std::uint64_t hash = hash_of(aor);
  Shard& shard = shard_for(hash);
  // Whatever must be called once the lock is released, and with what: a callback never runs
  // under a shard lock, as it may well call the store again.
  BindingJournal::Done call_now;
  bool ok = true;
  {
    std::lock_guard lock(shard.mutex);
    const std::size_t slot = shard.aors.find(aor, hash);
    const std::vector<Binding> current =
        slot == AorTable::npos ? std::vector<Binding>{} : shard.aors.at(slot).live(now);
    std::optional<AorUpdate> change = decide(current);
    if (!change) {
      // Nothing changes, but the answer may list bindings whose own write is still queued:
      // answer only once those are durable too, or a kill -9 could lose a binding a 200 showed.
      call_now = journal_ ? journal_->after_pending(std::move(durable)) : std::move(durable);
    } else if (!journal_) {
      call_now = std::move(durable);
      replace(shard, slot, hash,
              change->bindings.empty() ? PackedAor{} : PackedAor::encode(aor, change->bindings));
    } else {
      // RFC 3261 §10.3 step 7: a refresh that only moves expiries the file already covers is
      // not written; its 200 waits only for writes queued before it (durable_expiry.hpp).
      std::vector<std::int64_t> durable_until;
      bool written = true;
      if (slot != AorTable::npos && file_holds(shard.aors.at(slot), change->bindings, durable_until)) {
        auto confirmation = journal_->confirm(std::move(durable));
        written = !confirmation.in_step;
        if (written) {
          durable = std::move(confirmation.call_now);  // a write failed: the file may lag memory
        } else {
          call_now = std::move(confirmation.call_now);
          replace(shard, slot, hash, PackedAor::encode(aor, change->bindings, durable_until));
        }
      }
      if (written) {
        const bool removes = change->bindings.empty();
        durable_until.clear();
        for (const Binding& binding : change->bindings)
          durable_until.push_back(durable_expiry(binding.expires_at, now));
        PackedAor packed = PackedAor::encode(aor, change->bindings, durable_until);
        const auto history = slot == AorTable::npos ? BindingJournal::AorHistory::new_aor
                                                    : BindingJournal::AorHistory::may_exist;
        call_now = journal_->write(packed.share(), std::move(durable), history);
        // Handed back: the journal is closed. Refuse the change rather than keep it in memory only.
        ok = !call_now;
        if (ok) replace(shard, slot, hash, removes ? PackedAor{} : std::move(packed));
      }
    }
  }
  if (call_now) call_now(ok);
}

std::size_t MemoryLocationStore::expire(std::int64_t now) {
  std::size_t removed = 0;
  std::vector<std::string> touched;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    // Collect first: replacing an AOR moves its block to another wheel slot.
    touched.clear();
    shard.wheel.sweep(now, touched);
    for (const std::string& aor : touched) {
      const std::uint64_t hash = hash_of(aor);
      const std::size_t slot = shard.aors.find(aor, hash);
      const std::vector<Binding> live = shard.aors.at(slot).live(now);
      removed += shard.aors.at(slot).size() - live.size();
      std::vector<std::int64_t> durable_until;
      for (const Binding& binding : live) durable_until.push_back(durable_expiry(binding.expires_at, now));
      PackedAor packed = PackedAor::encode(aor, live, durable_until);
      if (journal_) {
        // Refused only once closed, and then there is nothing to tell anyone.
        (void)journal_->write(packed.share(), nullptr, BindingJournal::AorHistory::may_exist);
      }
      replace(shard, slot, hash, live.empty() ? PackedAor{} : std::move(packed));
    }
  }
  return removed;
}

void MemoryLocationStore::restore(std::string_view aor, const std::vector<Binding>& bindings) {
  if (bindings.empty()) return;
  const std::uint64_t hash = hash_of(aor);
  Shard& shard = shard_for(hash);
  std::lock_guard lock(shard.mutex);
  replace(shard, shard.aors.find(aor, hash), hash, PackedAor::encode(aor, bindings));
}

std::size_t MemoryLocationStore::aor_count() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) total += shard.aor_count.load(std::memory_order_relaxed);
  return total;
}

std::size_t MemoryLocationStore::binding_count() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) total += shard.binding_count.load(std::memory_order_relaxed);
  return total;
}

}  // namespace osprey::store
