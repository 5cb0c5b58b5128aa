#pragma once
// DNS answers kept for their TTL (RFC 1035 §7.4), negative ones too (RFC 2308 §5), because
// c-ares 1.18 keeps nothing. Bounded: beyond `max_entries` the least recently used answer
// goes, so a flood of lookups for made-up names cannot grow it. Time is passed in, so tests
// can move it.

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/dns_records.hpp"

namespace osprey::net {

struct DnsCacheLimits {
  std::size_t max_entries = 10000;
  std::chrono::seconds min_ttl{1};
  std::chrono::seconds max_ttl{3600};
  std::chrono::seconds negative_ttl{30};  // a negative answer without an SOA TTL
  std::chrono::seconds failure_ttl{5};    // a server failure or no answer (RFC 2308 §7)
};

class DnsCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit DnsCache(DnsCacheLimits limits) : limits_(limits) {}

  // The answer for `name` and `type` while it is fresh, else null (an expired one is dropped).
  // The pointer is valid until the next store.
  const DnsResult* find(std::string_view name, DnsType type, Clock::time_point now);

  // Keeps `result` for its TTL, clamped to [min_ttl, max_ttl] (or the negative / failure
  // default when it has none), replacing any earlier answer.
  void store(std::string_view name, DnsType type, DnsResult result, Clock::time_point now);

  std::size_t size() const { return entries_.size(); }

  // Names are compared without case (RFC 4343); "example.com" and "example.com." are one.
  static std::string key_of(std::string_view name, DnsType type);

 private:
  struct Entry {
    std::string key;
    DnsResult result;
    Clock::time_point expires;
  };
  std::chrono::seconds lifetime_of(const DnsResult& result) const;
  // Hashes a std::string or a std::string_view alike, so a lookup needs no allocation.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept { return std::hash<std::string_view>{}(key); }
  };

  DnsCacheLimits limits_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator, KeyHash, std::equal_to<>> index_;
};

}  // namespace osprey::net
