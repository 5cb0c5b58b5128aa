#pragma once
// RFC 3261 §17.2.2: over UDP a non-INVITE server transaction stays in Completed for Timer J
// (64*T1, 32 s by default) only to answer retransmissions of its request with its final
// response. At 10,000 REGISTERs a second that is 320,000 transactions at any time; as whole
// transactions (state machine, timers, flows, target) they cost about 1.2 KB each. Here a
// completed one is what that state still uses: its key, its final response and where it went.
//
// Every entry lingers the same time, so entries expire in the order they came: a queue, and no
// timer per entry.

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/flow.hpp"
#include "txn/timer_wheel.hpp"

namespace osprey::txn {

class CompletedResponses {
 public:
  struct Entry {
    std::string key;       // the server transaction key (§17.2.3)
    std::string response;  // the final response, as sent
    net::Flow flow;        // where it went
    TimePoint expires;
  };

  explicit CompletedResponses(Milliseconds linger) : linger_(linger) {}

  // Keeps `response` under `key` until `now` + the linger time. An entry with the same key is
  // superseded (it cannot happen while the table looks here before opening a transaction, but
  // the index must never point at a freed entry).
  void add(std::string key, std::string response, const net::Flow& flow, TimePoint now);
  // The entry for `key`, or null. Valid until the next add() or expire().
  const Entry* find(std::string_view key) const;
  // Drops every entry whose time is up at `now`.
  void expire(TimePoint now);

  std::size_t size() const { return index_.size(); }

 private:
  Milliseconds linger_;
  // std::deque keeps the address of every element when others are added at the back or taken
  // from the front, so the index may point into it.
  std::deque<Entry> entries_;
  std::unordered_map<std::string_view, const Entry*> index_;  // views of Entry::key
};

}  // namespace osprey::txn
