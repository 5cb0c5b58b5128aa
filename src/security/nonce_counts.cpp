#include "security/nonce_counts.hpp"

#include <limits>

namespace osprey::security {

NonceCounts::NonceCounts(std::int64_t retention_seconds, std::size_t max_entries)
    : retention_seconds_(retention_seconds), max_entries_(max_entries) {}

bool NonceCounts::reserve_entry() {
  // fetch_add then give back, rather than load-then-add: two threads racing for the last place
  // cannot both get it.
  if (size_.fetch_add(1, std::memory_order_relaxed) < max_entries_) return true;
  size_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void NonceCounts::expire_locked(Shard& shard, std::int64_t now, std::size_t budget) {
  // Insertion order is expiry order, give or take the second by which workers' clocks differ:
  // stopping at the first live entry leaves such a neighbour for the next pass.
  while (budget > 0 && !shard.expiry_order.empty() && shard.expiry_order.front().first < now) {
    // Erase through an iterator: `key` points into the node being erased.
    const std::string* key = shard.expiry_order.front().second;
    shard.entries.erase(shard.entries.find(*key));
    shard.expiry_order.pop_front();
    size_.fetch_sub(1, std::memory_order_relaxed);
    --budget;
  }
}

bool NonceCounts::accept(std::string_view nonce, std::uint32_t nc, std::int64_t now) {
  // RFC 7616 §3.4: nc counts requests from 00000001.
  if (nc == 0) return false;
  const std::size_t hash = Hash{}(nonce);
  // The high bits pick the shard; the map inside uses the whole hash.
  Shard& shard = shards_[(hash >> 40) % kShards];
  const std::lock_guard<std::mutex> lock(shard.mutex);
  expire_locked(shard, now, kLazyExpiryBudget);

  auto found = shard.entries.find(nonce);
  if (found == shard.entries.end()) {
    if (!reserve_entry()) return false;
    const auto inserted = shard.entries.try_emplace(std::string(nonce)).first;
    Entry& entry = inserted->second;
    entry.expires_at = now + retention_seconds_;
    entry.highest = nc;
    entry.seen = 1;
    shard.expiry_order.emplace_back(entry.expires_at, &inserted->first);
    return true;
  }

  Entry& entry = found->second;
  if (now > entry.expires_at) return false;
  if (nc > entry.highest) {
    // The window slides up: what was bit i is now bit i + shift.
    const std::uint32_t shift = nc - entry.highest;
    entry.seen = shift >= kWindow ? 1 : (entry.seen << shift) | 1;
    entry.highest = nc;
    return true;
  }
  const std::uint32_t below = entry.highest - nc;
  if (below >= kWindow) return false;
  const std::uint64_t bit = std::uint64_t{1} << below;
  if ((entry.seen & bit) != 0) return false;
  entry.seen |= bit;
  return true;
}

void NonceCounts::expire(std::int64_t now) {
  for (Shard& shard : shards_) {
    const std::lock_guard<std::mutex> lock(shard.mutex);
    expire_locked(shard, now, std::numeric_limits<std::size_t>::max());
  }
}

}  // namespace osprey::security
