#pragma once
// RFC 3261 §17.2.2: over UDP a non-INVITE server transaction stays in Completed for Timer J
// (64*T1, 32 s by default) only to answer retransmissions of its request with its final
// response. At 10,000 REGISTERs a second that is 320,000 transactions at any time; as whole
// transactions (state machine, timers, flows, target) they cost about 1.2 KB each. Here a
// completed one is what that state still uses: its key, its final response and where it went.
//
// Every entry lingers the same time, so entries expire in the order they came: a queue, and no
// timer per entry. Each entry is one record in a FifoArena (2 MiB chunks, huge pages where the
// kernel has them): header, key and response side by side, no heap block of its own. Every
// request that opens a transaction looks here first and misses, so the index is an
// open-addressing table of (hash, entry) pairs: a miss reads one or two cache lines and adding an
// entry allocates nothing, where a node-based map chased a pointer per probe and allocated a node
// per entry (about 5 % of a REGISTER's CPU, perf). The hash is seeded per table, so where keys
// land is not predictable from outside.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/flow.hpp"
#include "txn/fifo_arena.hpp"
#include "txn/huge_page_block.hpp"
#include "txn/timer_wheel.hpp"

namespace osprey::txn {

class CompletedResponses {
 public:
  // The head of an entry's record; the key and then the response follow it in the arena.
  struct Entry {
    std::uint64_t hash = 0;  // of key, as the index placed it
    TimePoint expires;
    net::Flow flow;  // where it went
    std::uint32_t key_size = 0;
    std::uint32_t response_size = 0;

    // The server transaction key (§17.2.3).
    std::string_view key() const { return {bytes(), key_size}; }
    // The final response, as sent.
    std::string_view response() const { return {bytes() + key_size, response_size}; }
    // Where the key and the response start: right after this header in its arena record.
    const char* bytes() const { return reinterpret_cast<const char*>(this) + sizeof(Entry); }
  };

  explicit CompletedResponses(Milliseconds linger, std::uint64_t seed = 0) : linger_(linger), seed_(seed) {}
  // find() hands out pointers into the records; the table stays where it was made.
  CompletedResponses(CompletedResponses&&) = delete;
  CompletedResponses& operator=(CompletedResponses&&) = delete;

  // Keeps `response` under `key` until `now` + the linger time. An entry with the same key is
  // superseded (it cannot happen while the table looks here before opening a transaction, but
  // the index must never point at a released entry).
  void add(std::string_view key, std::string_view response, const net::Flow& flow, TimePoint now);
  // The entry for `key`, or null. Valid until the next add() or expire().
  const Entry* find(std::string_view key) const;
  // Drops every entry whose time is up at `now`.
  void expire(TimePoint now);

  std::size_t size() const { return indexed_; }

 private:
  // A slot holds an indexed entry (null: empty) and its key's hash. All zero bits is empty, as a
  // fresh mapping is.
  struct Slot {
    std::uint64_t hash = 0;
    const Entry* entry = nullptr;
  };

  static std::size_t record_size(const Entry& entry) {
    return sizeof(Entry) + entry.key_size + entry.response_size;
  }
  std::uint64_t hash_of(std::string_view key) const;
  // The slot holding `key`, or the empty slot where it would go (the table is never full).
  std::size_t probe(std::uint64_t hash, std::string_view key) const;
  // The slot holding `entry` (whose key hashed to `hash`), or null.
  Slot* slot_of(std::uint64_t hash, const Entry* entry);
  // Linear probing deletion by backward shift: no tombstones, so probes stay short.
  void remove(Slot& slot);
  // Re-places every slot in a table of `count` slots (a power of two, more than twice indexed_).
  void resize(std::size_t count);

  Milliseconds linger_;
  std::uint64_t seed_;
  FifoArena records_;           // every entry, appended and released in the order entries came
  HugePageBlock slot_block_;    // the index's memory: a big table is rebuilt every doubling
  Slot* slots_ = nullptr;       // slot_count_ Slots in slot_block_
  std::size_t slot_count_ = 0;  // a power of two, at most half full; 0 before the first add
  std::size_t indexed_ = 0;     // entries reachable by key (superseded ones are not)
};

}  // namespace osprey::txn
