#include "store/message_index.hpp"

namespace osprey::store {

std::optional<StoreRefusal> MessageIndex::reserve(std::uint64_t id, std::string_view aor, std::size_t bytes,
                                                  std::int64_t submitted_at) {
  AorTotals totals;
  if (auto it = totals_.find(aor); it != totals_.end()) totals = it->second;
  if (totals.count >= limits_.max_messages_per_user) return StoreRefusal::over_message_quota;
  // Written so that no sum can overflow, whatever the limit.
  if (bytes > limits_.max_bytes_per_user || totals.bytes > limits_.max_bytes_per_user - bytes) {
    return StoreRefusal::over_byte_quota;
  }
  add(id, aor, bytes, submitted_at);
  return std::nullopt;
}

void MessageIndex::restore(std::uint64_t id, std::string_view aor, std::size_t bytes,
                           std::int64_t submitted_at) {
  add(id, aor, bytes, submitted_at);
}

void MessageIndex::add(std::uint64_t id, std::string_view aor, std::size_t bytes, std::int64_t submitted_at) {
  auto it = totals_.find(aor);
  if (it == totals_.end()) it = totals_.emplace(std::string(aor), AorTotals{}).first;
  ++it->second.count;
  it->second.bytes += bytes;
  by_id_.emplace(id, Entry{&*it, bytes, submitted_at});
  by_age_.emplace(submitted_at, id);
}

bool MessageIndex::release(std::uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  const Entry& entry = it->second;
  by_age_.erase({entry.submitted_at, id});
  AorTotals& totals = entry.aor->second;
  --totals.count;
  totals.bytes -= entry.bytes;
  // An AOR with nothing pending leaves the map, so users who got everything cost nothing.
  if (totals.count == 0) totals_.erase(entry.aor->first);
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
  return it == totals_.end() ? 0 : it->second.count;
}

}  // namespace osprey::store
