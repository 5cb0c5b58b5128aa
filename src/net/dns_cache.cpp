#include "net/dns_cache.hpp"

#include <algorithm>
#include <array>

namespace osprey::net {

namespace {

// Longest name (RFC 1035 §2.3.4: 253 octets, and a final dot), '/', the type's digits.
constexpr std::size_t kMaxKey = 254 + 1 + 5;

// The key of `name` and `type` written into `buffer`: lower case, without a final dot, then
// "/" and the type number. Empty when the name is too long for any cache entry.
std::string_view write_key(std::string_view name, DnsType type, std::array<char, kMaxKey>& buffer) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() > 254) return {};
  std::size_t length = 0;
  for (const char c : name) buffer[length++] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  buffer[length++] = '/';
  char digits[5];
  std::size_t count = 0;
  for (unsigned number = static_cast<unsigned>(type); count == 0 || number != 0; number /= 10)
    digits[count++] = static_cast<char>('0' + number % 10);
  while (count > 0) buffer[length++] = digits[--count];
  return {buffer.data(), length};
}

}  // namespace

std::string DnsCache::key_of(std::string_view name, DnsType type) {
  std::array<char, kMaxKey> buffer;
  const std::string_view key = write_key(name, type, buffer);
  if (!key.empty()) return std::string(key);
  return std::string(name) + "/" + std::to_string(static_cast<unsigned>(type));
}

const DnsResult* DnsCache::find(std::string_view name, DnsType type, Clock::time_point now) {
  std::array<char, kMaxKey> buffer;
  std::string_view key = write_key(name, type, buffer);
  if (key.empty()) return nullptr;  // never stored: longer than any DNS name
  const auto found = index_.find(key);
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
  std::array<char, kMaxKey> buffer;
  if (write_key(name, type, buffer).empty()) return;  // longer than any DNS name
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
