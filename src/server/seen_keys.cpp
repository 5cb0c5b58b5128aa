#include "server/seen_keys.hpp"

#include <functional>

namespace osprey::server {
namespace {

// splitmix64's finaliser: spreads the seeded hash over all 64 bits.
std::uint64_t mix(std::uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

}  // namespace

SeenKeys::SeenKeys(std::size_t capacity, std::uint64_t seed)
    : capacity_(capacity == 0 ? 1 : capacity), seed_(seed) {
  seen_.reserve(capacity_);
}

bool SeenKeys::first_time(std::string_view key) {
  const std::uint64_t hashed = mix(std::hash<std::string_view>{}(key) ^ seed_);
  if (!seen_.insert(hashed).second) return false;
  order_.push_back(hashed);
  if (order_.size() > capacity_) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

}  // namespace osprey::server
