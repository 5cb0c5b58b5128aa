#pragma once
// What a message store keeps in memory about its messages, without their bodies: per-AOR count
// and bytes (the quota, and pending_count() on every REGISTER), and per id the AOR, the size and
// the submission time (to release a quota and to expire by age). Any backend can use it; it is
// not thread-safe, its owner locks it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/message_store.hpp"

namespace osprey::store {

// Who sent a message, as far as the quotas care (StoredMessage::from_outsider and sender).
struct MessageOrigin {
  bool outsider = false;
  std::string_view sender;  // outsiders only: the per-sender quota's key
};

class MessageIndex {
 public:
  explicit MessageIndex(MessageLimits limits) : limits_(limits) {}

  // Counts message `id` for `aor` if the budget it counts against (account holders' or
  // outsiders', see MessageLimits) has room for one more of `bytes` body bytes, and for an
  // outsider, if its sender has fewer than the per-sender quota waiting; otherwise returns why
  // not and changes nothing.
  std::optional<StoreRefusal> reserve(std::uint64_t id, std::string_view aor, std::size_t bytes,
                                      std::int64_t submitted_at, MessageOrigin origin = {});
  // Counts a message read back from the file at start-up, whatever the quota: it was accepted
  // under the limits of its day.
  void restore(std::uint64_t id, std::string_view aor, std::size_t bytes, std::int64_t submitted_at,
               MessageOrigin origin = {});
  // Forgets message `id`; false if it was not there.
  bool release(std::uint64_t id);
  // Forgets every message submitted before `cutoff` and returns their ids.
  std::vector<std::uint64_t> take_older_than(std::int64_t cutoff);

  // Every message of `aor`, from account holders and outsiders alike.
  std::size_t count(std::string_view aor) const;
  std::size_t outsider_count(std::string_view aor) const;
  bool contains(std::uint64_t id) const { return by_id_.count(id) != 0; }
  std::size_t size() const { return by_id_.size(); }

 private:
  struct AorHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view aor) const { return std::hash<std::string_view>{}(aor); }
  };
  struct Budget {
    std::size_t count = 0;
    std::size_t bytes = 0;
  };
  struct AorTotals {
    Budget members;    // from account holders
    Budget outsiders;  // from everyone else
  };
  using Totals = std::unordered_map<std::string, AorTotals, AorHash, std::equal_to<>>;
  // Outsider messages waiting per (recipient, sender), keyed "recipient\0sender".
  using SenderCounts = std::unordered_map<std::string, std::size_t, AorHash, std::equal_to<>>;
  struct Entry {
    // Points into totals_, whose nodes never move: one copy of the AOR per user, not per message.
    Totals::value_type* aor;
    // Into senders_ (nodes never move) for an outsider's message; nullptr otherwise.
    SenderCounts::value_type* sender;
    std::size_t bytes;
    std::int64_t submitted_at;
  };

  static std::string sender_key(std::string_view aor, std::string_view sender);
  void add(std::uint64_t id, std::string_view aor, std::size_t bytes, std::int64_t submitted_at,
           MessageOrigin origin);

  MessageLimits limits_;
  Totals totals_;
  SenderCounts senders_;
  std::unordered_map<std::uint64_t, Entry> by_id_;
  // (submitted_at, id): expiry walks only what it drops, not every message.
  std::set<std::pair<std::int64_t, std::uint64_t>> by_age_;
};

}  // namespace osprey::store
