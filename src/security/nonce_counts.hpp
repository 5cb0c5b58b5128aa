#pragma once
// Replay protection for Digest credentials (RFC 7616 §3.4 and §5.4; RFC 3261 §22.4): a client
// counts the requests it signs with one nonce (nc = 1, 2, 3...), and a server that remembers
// which counts it has seen refuses a captured request sent again. Requests can overtake each
// other (UDP, several TCP connections), so counts below the highest one seen are still
// accepted once within a window, like the IPsec anti-replay window (RFC 4303 §3.4.3).
//
// Only counts whose response was verified should be recorded here: otherwise anyone who saw a
// nonce could use up its counts.
//
// Thread safety: every member may be called from any thread. Nonces are spread over shards,
// each with its own mutex held only for one lookup or a few removals.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "security/nonce_service.hpp"

namespace osprey::security {

class NonceCounts {
 public:
  static constexpr std::size_t kDefaultMaxEntries = 1'000'000;
  // How far below the highest count seen a count may still arrive (once).
  static constexpr std::uint32_t kWindow = 64;
  // Kept beyond a nonce's validity span, so a count is never forgotten while the nonce could
  // still be accepted, whatever the workers' clocks say to the second.
  static constexpr std::int64_t kRetentionSlackSeconds = 30;
  // The longest retention the table is built for: max_entries new nonces within this span fill
  // it (1,000,000 / 3600 s = 277 new nonces a second), and a full table refuses new nonces.
  // Longer nonce lifetimes are refused by the config rather than risk a table that fills.
  static constexpr std::int64_t kMaxRetentionSeconds = 3600;
  static constexpr std::int64_t kMaxNonceLifetimeSeconds =
      kMaxRetentionSeconds - kNonceClockToleranceSeconds - kRetentionSlackSeconds;
  // The retention that covers the nonces of `nonces` (their validity span plus the slack).
  static std::int64_t retention_for(const NonceService& nonces) {
    return nonces.validity_span_seconds() + kRetentionSlackSeconds;
  }

  // `retention_seconds`: how long a nonce's counts are kept after it is first seen. It must be at
  // least the time the nonce stays valid (NonceService::validity_span_seconds()), or a nonce could
  // outlive its counts and be replayed. `max_entries` bounds the memory: when that many nonces are
  // tracked, new ones are refused rather than live ones forgotten (forgetting would reopen replay).
  explicit NonceCounts(std::int64_t retention_seconds = kDefaultNonceLifetimeSeconds +
                                                        kNonceClockToleranceSeconds,
                       std::size_t max_entries = kDefaultMaxEntries);
  NonceCounts(const NonceCounts&) = delete;
  NonceCounts& operator=(const NonceCounts&) = delete;

  // Records count `nc` of `nonce` at `now` (seconds). True the first time a count is seen; false
  // for nc 0 (counts start at 1), a count seen before, a count kWindow or more below the highest,
  // or a new nonce while the table is full. A nonce past its retention is refused while its entry
  // lingers and is new again once the entry is gone: callers check the nonce's age first
  // (NonceService::check), which is why the retention must cover the nonce's validity.
  bool accept(std::string_view nonce, std::uint32_t nc, std::int64_t now);

  // Forgets the nonces whose retention has passed. Meant to be called about once a second from
  // housekeeping; accept() also clears a few expired entries of the shard it locks.
  void expire(std::int64_t now);

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  std::int64_t retention_seconds() const { return retention_seconds_; }
  std::size_t max_entries() const { return max_entries_; }

 private:
  static constexpr std::size_t kShards = 64;
  // accept() removes at most this many expired entries, so no caller pays for a backlog.
  static constexpr std::size_t kLazyExpiryBudget = 4;

  struct Entry {
    std::int64_t expires_at = 0;
    std::uint32_t highest = 0;
    // Bit i set: count highest - i has been seen (bit 0 is `highest` itself).
    std::uint64_t seen = 0;
  };
  // Transparent hashing lets accept() look a string_view up without building a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries;
    // Nonces in the order they were first seen, which is also the order they expire in (each
    // is kept for the same time). Points at the map's keys, which stay put until erased.
    std::deque<std::pair<std::int64_t, const std::string*>> expiry_order;
  };

  // Removes up to `budget` entries of `shard` expired at `now`; the shard's mutex is held.
  void expire_locked(Shard& shard, std::int64_t now, std::size_t budget);
  // Claims one of the max_entries places; false when all are taken.
  bool reserve_entry();

  std::int64_t retention_seconds_;
  std::size_t max_entries_;
  std::atomic<std::size_t> size_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace osprey::security
