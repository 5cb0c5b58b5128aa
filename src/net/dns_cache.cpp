#include "net/dns_cache.hpp"

#include <algorithm>

namespace osprey::net {

std::string DnsCache::key_of(std::string_view name, DnsType type) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string key;
  key.reserve(name.size() + 6);
  for (const char c : name) key.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  key.push_back('/');
  key += std::to_string(static_cast<unsigned>(type));
  return key;
}

const DnsResult* DnsCache::find(std::string_view name, DnsType type, Clock::time_point now) {
  const auto found = index_.find(key_of(name, type));
  if (found == index_.end()) return nullptr;
  const auto entry = found->second;
  if (now >= entry->expires) {
    index_.erase(found);
    entries_.erase(entry);
    return nullptr;
  }
  entries_.splice(entries_.begin(), entries_, entry);
  return &entry->result;
}

std::chrono::seconds DnsCache::lifetime_of(const DnsResult& result) const {
  std::chrono::seconds lifetime = limits_.negative_ttl;
  switch (result.outcome) {
    case DnsOutcome::records: lifetime = result.ttl.value_or(limits_.min_ttl); break;
    case DnsOutcome::no_such_name:
    case DnsOutcome::no_data: lifetime = result.ttl.value_or(limits_.negative_ttl); break;
    // RFC 2308 §7.1: a server failure is never kept longer than five minutes; not its TTL.
    case DnsOutcome::server_failure:
    case DnsOutcome::no_answer: return std::min(limits_.failure_ttl, std::chrono::seconds(300));
  }
  return std::clamp(lifetime, limits_.min_ttl, std::max(limits_.min_ttl, limits_.max_ttl));
}

void DnsCache::store(std::string_view name, DnsType type, DnsResult result, Clock::time_point now) {
  if (limits_.max_entries == 0) return;
  std::string key = key_of(name, type);
  const auto expires = now + lifetime_of(result);
  if (const auto found = index_.find(key); found != index_.end()) {
    found->second->result = std::move(result);
    found->second->expires = expires;
    entries_.splice(entries_.begin(), entries_, found->second);
    return;
  }
  while (entries_.size() >= limits_.max_entries) {
    index_.erase(entries_.back().key);
    entries_.pop_back();
  }
  entries_.push_front(Entry{key, std::move(result), expires});
  index_.emplace(std::move(key), entries_.begin());
}

}  // namespace osprey::net
