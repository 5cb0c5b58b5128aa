#include "store/memory_location_store.hpp"

#include <functional>
#include <string>
#include <utility>

namespace osprey::store {

using registrar::Binding;

std::size_t MemoryLocationStore::AorHash::operator()(std::string_view aor) const {
  return std::hash<std::string_view>{}(aor);
}

MemoryLocationStore::MemoryLocationStore(std::unique_ptr<BindingJournal> journal)
    : journal_(std::move(journal)) {}

MemoryLocationStore::~MemoryLocationStore() {
  if (journal_) journal_->close();
}

MemoryLocationStore::Shard& MemoryLocationStore::shard_for(std::string_view aor) const {
  // The top bits pick the shard: the set inside uses the hash modulo a prime, so the two choices
  // stay independent.
  const std::size_t hash = AorHash{}(aor);
  return shards_[(hash >> 58) & (kShards - 1)];
}

void MemoryLocationStore::replace(Shard& shard, AorSet::iterator it, PackedAor packed) {
  const std::size_t new_bindings = packed ? packed.size() : 0;
  std::size_t old_bindings = 0;
  // The old block, freed or overwritten below, leaves the wheel by itself.
  if (it == shard.aors.end()) {
    if (!packed) return;
    shard.wheel.insert(*shard.aors.insert(std::move(packed)).first);
    shard.aor_count.fetch_add(1, std::memory_order_relaxed);
  } else {
    old_bindings = it->size();
    if (!packed) {
      shard.aors.erase(it);
      shard.aor_count.fetch_sub(1, std::memory_order_relaxed);
    } else {
      // Set elements are const; extracting the node swaps the block without a new node.
      auto node = shard.aors.extract(it);
      node.value() = std::move(packed);
      shard.wheel.insert(*shard.aors.insert(std::move(node)).position);
    }
  }
  shard.binding_count.fetch_add(new_bindings, std::memory_order_relaxed);
  shard.binding_count.fetch_sub(old_bindings, std::memory_order_relaxed);
}

std::vector<Binding> MemoryLocationStore::lookup(std::string_view aor, std::int64_t now) const {
  Shard& shard = shard_for(aor);
  std::lock_guard lock(shard.mutex);
  auto it = shard.aors.find(aor);
  if (it == shard.aors.end()) return {};
  return it->live(now);
}

void MemoryLocationStore::update(std::string_view aor, std::int64_t now, const Decide& decide,
                                 std::function<void(bool ok)> durable) {
  // A no-op rather than nothing, so a refused write is told apart from an accepted one below.
  if (!durable) durable = [](bool) {};
  Shard& shard = shard_for(aor);
  // Whatever must be called once the lock is released, and with what: a callback never runs
  // under a shard lock, as it may well call the store again.
  BindingJournal::Done call_now;
  bool ok = true;
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.aors.find(aor);
    const std::vector<Binding> current = it == shard.aors.end() ? std::vector<Binding>{} : it->live(now);
    std::optional<AorUpdate> change = decide(current);
    if (!change) {
      // Nothing changes, but the answer may list bindings whose own write is still queued:
      // answer only once those are durable too, or a kill -9 could lose a binding a 200 showed.
      call_now = journal_ ? journal_->after_pending(std::move(durable)) : std::move(durable);
    } else {
      const bool removes = change->bindings.empty();
      PackedAor packed = PackedAor::encode(aor, change->bindings);
      if (!journal_) {
        call_now = std::move(durable);
      } else {
        const auto history = it == shard.aors.end() ? BindingJournal::AorHistory::new_aor
                                                    : BindingJournal::AorHistory::may_exist;
        call_now = journal_->write(packed.share(), std::move(durable), history);
        // Handed back: the journal is closed. Refuse the change rather than keep it in memory only.
        ok = !call_now;
      }
      if (ok) replace(shard, it, removes ? PackedAor{} : std::move(packed));
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
      auto it = shard.aors.find(aor);
      const std::vector<Binding> live = it->live(now);
      removed += it->size() - live.size();
      PackedAor packed = PackedAor::encode(aor, live);
      if (journal_) {
        // Refused only once closed, and then there is nothing to tell anyone.
        (void)journal_->write(packed.share(), nullptr, BindingJournal::AorHistory::may_exist);
      }
      replace(shard, it, live.empty() ? PackedAor{} : std::move(packed));
    }
  }
  return removed;
}

void MemoryLocationStore::restore(std::string_view aor, const std::vector<Binding>& bindings) {
  if (bindings.empty()) return;
  Shard& shard = shard_for(aor);
  std::lock_guard lock(shard.mutex);
  replace(shard, shard.aors.find(aor), PackedAor::encode(aor, bindings));
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
