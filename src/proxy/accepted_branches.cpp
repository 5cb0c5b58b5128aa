#include "proxy/accepted_branches.hpp"

namespace osprey::proxy {

void AcceptedBranches::remember(std::uint64_t client_key, AcceptedBranch branch, std::int64_t now) {
  prune(now);
  const std::int64_t expires = now + lifetime_;
  branches_.insert_or_assign(client_key, std::make_pair(expires, std::move(branch)));
  expiries_.emplace_back(expires, client_key);
}

const AcceptedBranch* AcceptedBranches::find(std::uint64_t client_key, std::int64_t now) {
  prune(now);
  auto it = branches_.find(client_key);
  if (it == branches_.end()) return nullptr;
  return &it->second.second;
}

void AcceptedBranches::prune(std::int64_t now) {
  while (!expiries_.empty() && expiries_.front().first <= now) {
    const auto [expires, key] = expiries_.front();
    expiries_.pop_front();
    // Only the entry this expiry was queued for (a key remembered again has a later one).
    if (auto it = branches_.find(key); it != branches_.end() && it->second.first == expires)
      branches_.erase(it);
  }
}

}  // namespace osprey::proxy
