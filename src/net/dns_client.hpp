#pragma once
// DNS lookups for the RFC 3263 resolver: the cache first (dns_cache.hpp), then one c-ares
// query per name and type however many lookups wait for it (dns_channel.hpp). Names RFC 6761
// reserves never reach DNS, and A/AAAA look in the hosts file first, as getaddrinfo would.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "net/dns_cache.hpp"
#include "net/dns_channel.hpp"
#include "net/dns_records.hpp"
#include "net/dns_settings.hpp"

namespace osprey::net {

// Gets the result once. The reference is only good during the call, until the callee starts
// another lookup: copy what is kept.
using DnsResultCallback = std::function<void(const DnsResult&)>;

class DnsClient {
 public:
  DnsClient(boost::asio::io_context& io_context, const DnsSettings& settings);
  ~DnsClient();
  DnsClient(const DnsClient&) = delete;
  DnsClient& operator=(const DnsClient&) = delete;

  // Calls `done` once: inside this call when the cache, the hosts file or RFC 6761 answers, or
  // the query cannot be sent (DnsType::hosts_file is always answered inside the call); later, from the
  // io_context, with the server's answer. Never after the client is destroyed.
  void lookup(const std::string& name, DnsType type, DnsResultCallback done);

  std::size_t cached_answers() const { return cache_.size(); }

 private:
  void on_answer(const std::string& key, const std::string& name, DnsType type, int status,
                 std::span<const unsigned char> answer);

  // The hosts file's addresses of `name`, cached like an answer; needs the channel.
  const DnsResult& hosts_file_answer(const std::string& name, DnsCache::Clock::time_point now);

  DnsSettings settings_;
  DnsCache cache_;
  DnsResult hosts_file_uncached_;
  std::unordered_map<std::string, std::vector<DnsResultCallback>> waiting_;  // by cache key
  std::string channel_error_;
  // Last: destroyed first, so no answer arrives once the rest is gone.
  std::unique_ptr<DnsChannel> channel_;
};

}  // namespace osprey::net
