#include "txn/completed_responses.hpp"

#include <utility>

namespace osprey::txn {

void CompletedResponses::add(std::string key, std::string response, const net::Flow& flow, TimePoint now) {
  // A response serialized into a generous buffer would keep its slack for 32 s.
  if (response.capacity() > response.size() + response.size() / 4) response.shrink_to_fit();
  const Entry& entry = entries_.emplace_back(Entry{std::move(key), std::move(response), flow, now + linger_});
  auto [it, inserted] = index_.try_emplace(entry.key, &entry);
  if (!inserted) {
    // The old entry stays queued until its time, unreachable: re-key the index on the new view.
    index_.erase(it);
    index_.emplace(entry.key, &entry);
  }
}

const CompletedResponses::Entry* CompletedResponses::find(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : it->second;
}

void CompletedResponses::expire(TimePoint now) {
  while (!entries_.empty() && entries_.front().expires <= now) {
    const Entry& front = entries_.front();
    if (auto it = index_.find(front.key); it != index_.end() && it->second == &front) index_.erase(it);
    entries_.pop_front();
  }
}

}  // namespace osprey::txn
