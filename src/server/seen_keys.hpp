#pragma once
// Remembers the last `capacity` distinct keys, so that something repeated (an ACK retransmitted
// for one dialog) is logged once, not once per copy. Memory is bounded whatever the traffic: an
// attacker sending millions of distinct dialogs only pushes the oldest keys out, and a key
// pushed out is at worst logged once more. Keys are kept as 64-bit hashes under a per-instance
// seed (a collision only hides one more log line). One per worker: not thread-safe.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_set>

namespace osprey::server {

class SeenKeys {
 public:
  explicit SeenKeys(std::size_t capacity, std::uint64_t seed = 0);

  // True the first time `key` comes among the last `capacity` distinct keys; then remembers it.
  bool first_time(std::string_view key);

  std::size_t size() const { return seen_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  std::size_t capacity_;
  std::uint64_t seed_;
  std::unordered_set<std::uint64_t> seen_;
  std::deque<std::uint64_t> order_;  // oldest first: the next to forget
};

}  // namespace osprey::server
