#include "store/message_index.hpp"

namespace osprey::store {

std::string MessageIndex::sender_key(std::string_view aor, std::string_view sender) {
  // NUL never occurs in a canonical AOR: the pair cannot be confused with another.
  std::string key;
  key.reserve(aor.size() + 1 + sender.size());
  key.append(aor);
  key.push_back('\0');
  key.append(sender);
  return key;
}

std::optional<StoreRefusal> MessageIndex::reserve(std::uint64_t id, std::string_view aor, std::size_t bytes,
                                                  std::int64_t submitted_at, MessageOrigin origin) {
  AorTotals totals;
  if (auto it = totals_.find(aor); it != totals_.end()) totals = it->second;
  // Each budget counts only its own messages: outsiders never use up account holders' room.
  const Budget& budget = origin.outsider ? totals.outsiders : totals.members;
  const std::size_t max_count =
      origin.outsider ? limits_.max_messages_from_outsiders_per_user : limits_.max_messages_per_user;
  const std::size_t max_bytes =
      origin.outsider ? limits_.max_bytes_from_outsiders_per_user : limits_.max_bytes_per_user;
  if (budget.count >= max_count) return StoreRefusal::over_message_quota;
  // Written so that no sum can overflow, whatever the limit.
  if (bytes > max_bytes || budget.bytes > max_bytes - bytes) return StoreRefusal::over_byte_quota;
  if (origin.outsider) {
    // One outsider may not take the whole outsiders' budget of a user.
    auto sender = senders_.find(sender_key(aor, origin.sender));
    const std::size_t waiting = sender == senders_.end() ? 0 : sender->second;
    if (waiting >= limits_.max_messages_per_outsider_sender) return StoreRefusal::over_sender_quota;
  }
  add(id, aor, bytes, submitted_at, origin);
  return std::nullopt;
}

void MessageIndex::restore(std::uint64_t id, std::string_view aor, std::size_t bytes,
                           std::int64_t submitted_at, MessageOrigin origin) {
  add(id, aor, bytes, submitted_at, origin);
}

void MessageIndex::add(std::uint64_t id, std::string_view aor, std::size_t bytes, std::int64_t submitted_at,
                       MessageOrigin origin) {
  auto it = totals_.find(aor);
  if (it == totals_.end()) it = totals_.emplace(std::string(aor), AorTotals{}).first;
  Budget& budget = origin.outsider ? it->second.outsiders : it->second.members;
  ++budget.count;
  budget.bytes += bytes;
  SenderCounts::value_type* sender = nullptr;
  if (origin.outsider) {
    sender = &*senders_.try_emplace(sender_key(aor, origin.sender), 0).first;
    ++sender->second;
  }
  by_id_.emplace(id, Entry{&*it, sender, bytes, submitted_at});
  by_age_.emplace(submitted_at, id);
}

bool MessageIndex::release(std::uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  const Entry& entry = it->second;
  by_age_.erase({entry.submitted_at, id});
  AorTotals& totals = entry.aor->second;
  Budget& budget = entry.sender != nullptr ? totals.outsiders : totals.members;
  --budget.count;
  budget.bytes -= entry.bytes;
  // Erased through an iterator: the key lives in the node being erased.
  if (entry.sender != nullptr && --entry.sender->second == 0)
    senders_.erase(senders_.find(entry.sender->first));
  // An AOR with nothing pending leaves the map, so users who got everything cost nothing.
  if (totals.members.count == 0 && totals.outsiders.count == 0) totals_.erase(totals_.find(entry.aor->first));
  by_id_.erase(it);
  return true;
}

std::vector<std::uint64_t> MessageIndex::take_older_than(std::int64_t cutoff) {
  std::vector<std::uint64_t> ids;
  for (auto it = by_age_.begin(); it != by_age_.end() && it->first < cutoff; ++it) ids.push_back(it->second);
  for (std::uint64_t id : ids) release(id);
  return ids;
}

std::size_t MessageIndex::count(std::string_view aor) const {
  auto it = totals_.find(aor);
  return it == totals_.end() ? 0 : it->second.members.count + it->second.outsiders.count;
}

std::size_t MessageIndex::outsider_count(std::string_view aor) const {
  auto it = totals_.find(aor);
  return it == totals_.end() ? 0 : it->second.outsiders.count;
}

}  // namespace osprey::store
