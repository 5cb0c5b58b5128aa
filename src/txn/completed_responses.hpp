#pragma once
// RFC 3261 §17.2.2: over UDP a non-INVITE server transaction stays in Completed for Timer J
// (64*T1, 32 s by default) only to answer retransmissions of its request with its final
// response. At 10,000 REGISTERs a second that is 320,000 transactions at any time; as whole
// transactions (state machine, timers, flows, target) they cost about 1.2 KB each. Here a
// completed one is what that state still uses: its key, its final response and where it went.
//
// Every entry lingers the same time, so entries expire in the order they came: a queue, and no
// timer per entry; their key and response bytes go to a FifoArena for the same reason. Every request that
// opens a transaction looks here first and misses, so the index is an open-addressing table of (hash, entry
// number) pairs: a miss reads one or two cache lines and adding an entry allocates nothing, where a
// node-based map chased a pointer per probe and allocated a node per entry (about 5 % of a REGISTER's CPU,
// perf). The hash is seeded per table, so where keys land is not predictable from outside.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "net/flow.hpp"
#include "txn/fifo_arena.hpp"
#include "txn/timer_wheel.hpp"

namespace osprey::txn {

class CompletedResponses {
 public:
  struct Entry {
    const char* bytes = nullptr;  // in the arena: the key, then the response
    std::uint32_t key_size = 0;
    std::uint32_t response_size = 0;
    net::Flow flow;  // where it went
    TimePoint expires;
    std::uint64_t hash = 0;  // of key, as the index placed it

    // The server transaction key (§17.2.3).
    std::string_view key() const { return {bytes, key_size}; }
    // The final response, as sent.
    std::string_view response() const { return {bytes + key_size, response_size}; }
  };

  explicit CompletedResponses(Milliseconds linger, std::uint64_t seed = 0) : linger_(linger), seed_(seed) {}

  // Keeps `response` under `key` until `now` + the linger time. An entry with the same key is
  // superseded (it cannot happen while the table looks here before opening a transaction, but
  // the index must never point at a freed entry).
  void add(std::string_view key, std::string_view response, const net::Flow& flow, TimePoint now);
  // The entry for `key`, or null. Valid until the next add() or expire().
  const Entry* find(std::string_view key) const;
  // Drops every entry whose time is up at `now`.
  void expire(TimePoint now);

  std::size_t size() const { return indexed_; }

 private:
  // A slot holds the number of an indexed entry (0: empty) and its key's hash. Entry number n
  // is entries_[n - first_number_].
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t number = 0;
  };

  std::uint64_t hash_of(std::string_view key) const;
  // The slot holding `key`, or the empty slot where it would go (the table is never full).
  std::size_t probe(std::uint64_t hash, std::string_view key) const;
  // The slot holding entry `number` (whose key hashed to `hash`), or null.
  Slot* slot_of(std::uint64_t hash, std::uint64_t number);
  // Linear probing deletion by backward shift: no tombstones, so probes stay short.
  void remove(Slot& slot);
  // Re-places every slot in a table of `size` slots (a power of two, more than twice indexed_).
  void resize(std::size_t size);

  Milliseconds linger_;
  std::uint64_t seed_;
  // std::deque keeps the address of every element when others are added at the back or taken
  // from the front, so find() may hand out pointers into it.
  std::deque<Entry> entries_;
  FifoArena bytes_;                 // every entry's key and response, appended and released in entry order
  std::uint64_t first_number_ = 1;  // of entries_.front()
  std::vector<Slot> slots_;         // a power of two, at most half full
  std::size_t indexed_ = 0;         // entries reachable by key (superseded ones are not)
};

}  // namespace osprey::txn
