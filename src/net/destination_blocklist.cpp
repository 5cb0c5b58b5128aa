#include "net/destination_blocklist.hpp"

#include <algorithm>

namespace osprey::net {

DestinationBlocklist::DestinationBlocklist(BlocklistSettings settings, Clock clock)
    : settings_(settings), clock_(std::move(clock)) {}

std::size_t DestinationBlocklist::KeyHash::operator()(const Key& key) const {
  std::size_t hash = (static_cast<std::size_t>(key.port) << 2) ^ static_cast<std::size_t>(key.protocol);
  const auto mix = [&hash](std::size_t value) {
    hash ^= value + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  };
  if (key.address.is_v4()) {
    mix(key.address.to_v4().to_uint());
  } else {
    for (unsigned char byte : key.address.to_v6().to_bytes()) mix(byte);
  }
  return hash;
}

DestinationBlocklist::Key DestinationBlocklist::key_of(Protocol protocol, const Endpoint& endpoint) {
  // One spelling per host: an IPv4-mapped address is its IPv4 address.
  return Key{protocol, unmapped(endpoint.address), endpoint.port};
}

void DestinationBlocklist::failed(Protocol protocol, const Endpoint& endpoint) {
  if (settings_.ttl.count() <= 0) return;
  list(key_of(protocol, endpoint), clock_() + settings_.ttl.count());
}

void DestinationBlocklist::unavailable_for(Protocol protocol, const Endpoint& endpoint,
                                           std::uint32_t seconds) {
  const std::int64_t bounded = std::min<std::int64_t>(seconds, settings_.max_retry_after.count());
  if (bounded <= 0) return;
  list(key_of(protocol, endpoint), clock_() + bounded);
}

void DestinationBlocklist::list(const Key& key, std::int64_t until) {
  if (settings_.capacity == 0) return;
  const std::int64_t now = clock_();
  erase_expired(now);
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (it->second >= until) return;
    auto [first, last] = by_expiry_.equal_range(it->second);
    for (auto at = first; at != last; ++at) {
      if (at->second == key) {
        by_expiry_.erase(at);
        break;
      }
    }
    it->second = until;
    by_expiry_.emplace(until, key);
    return;
  }
  if (entries_.size() >= settings_.capacity) {
    // Full: the entry that would leave first makes way.
    entries_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  entries_.emplace(key, until);
  by_expiry_.emplace(until, key);
}

void DestinationBlocklist::erase_expired(std::int64_t now) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    entries_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

bool DestinationBlocklist::contains(Protocol protocol, const Endpoint& endpoint) const {
  if (entries_.empty()) return false;
  auto it = entries_.find(key_of(protocol, endpoint));
  return it != entries_.end() && it->second > clock_();
}

void DestinationBlocklist::order(std::vector<ResolvedHop>& hops) const {
  if (entries_.empty()) return;
  std::stable_partition(hops.begin(), hops.end(),
                        [this](const ResolvedHop& hop) { return !contains(hop.protocol, hop.endpoint); });
}

}  // namespace osprey::net
