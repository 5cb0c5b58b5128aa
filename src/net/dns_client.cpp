#include "net/dns_client.hpp"

#include "net/dns_answer.hpp"
#include "net/dns_name.hpp"

namespace osprey::net {

namespace {

constexpr std::chrono::seconds kHostsFileTtl{5};

DnsResult failure(std::string detail) {
  DnsResult result;
  result.outcome = DnsOutcome::server_failure;
  result.detail = std::move(detail);
  return result;
}

// RFC 6761 §6.3 and §6.4: answers for the special-use names, without DNS.
std::optional<DnsResult> special_use_answer(const std::string& name, DnsType type) {
  if (is_invalid_name(name)) {
    DnsResult result;
    result.outcome = DnsOutcome::no_such_name;
    return result;
  }
  if (!is_localhost_name(name)) return std::nullopt;
  DnsResult result;
  result.outcome = DnsOutcome::no_data;
  if (type == DnsType::a || type == DnsType::hosts_file)
    result.addresses.emplace_back(boost::asio::ip::address_v4::loopback());
  if (type == DnsType::aaaa || type == DnsType::hosts_file)
    result.addresses.emplace_back(boost::asio::ip::address_v6::loopback());
  if (!result.addresses.empty()) result.outcome = DnsOutcome::records;
  return result;
}

}  // namespace

DnsClient::DnsClient(boost::asio::io_context& io_context, const DnsSettings& settings)
    : settings_(settings),
      cache_(DnsCacheLimits{settings.cache_entries, settings.min_ttl, settings.max_ttl, settings.negative_ttl,
                            settings.failure_ttl}) {
  auto channel = DnsChannel::create(io_context, settings);
  if (channel) {
    channel_ = std::move(*channel);
  } else {
    channel_error_ = channel.error();
  }
}

DnsClient::~DnsClient() { channel_.reset(); }

void DnsClient::lookup(const std::string& name, DnsType type, DnsResultCallback done) {
  if (auto special = special_use_answer(name, type)) {
    done(*special);
    return;
  }
  const auto now = DnsCache::Clock::now();
  if (const DnsResult* cached = cache_.find(name, type, now)) {
    done(*cached);
    return;
  }
  if (!channel_) {
    done(failure(channel_error_));
    return;
  }
  if (type == DnsType::hosts_file) {
    done(hosts_file_answer(name, now));
    return;
  }
  if (type == DnsType::a || type == DnsType::aaaa) {
    // The hosts file first, like getaddrinfo: a name it knows is answered from it alone, even
    // for the family it lists no address of.
    const DnsResult& from_file = hosts_file_answer(name, now);
    if (from_file.outcome == DnsOutcome::records) {
      DnsResult of_family;
      for (const auto& address : from_file.addresses) {
        if (address.is_v6() == (type == DnsType::aaaa)) of_family.addresses.push_back(address);
      }
      of_family.outcome = of_family.addresses.empty() ? DnsOutcome::no_data : DnsOutcome::records;
      done(of_family);
      return;
    }
  }
  std::string key = DnsCache::key_of(name, type);
  if (auto found = waiting_.find(key); found != waiting_.end()) {
    found->second.push_back(std::move(done));  // the query already in flight answers this too
    return;
  }
  if (waiting_.size() >= settings_.max_queries_in_flight) {
    done(failure("too many DNS queries in flight"));
    return;
  }
  waiting_[key].push_back(std::move(done));
  channel_->query(name, type, [this, key, name, type](int status, std::span<const unsigned char> answer) {
    on_answer(key, name, type, status, answer);
  });
}

const DnsResult& DnsClient::hosts_file_answer(const std::string& name, DnsCache::Clock::time_point now) {
  if (const DnsResult* cached = cache_.find(name, DnsType::hosts_file, now)) return *cached;
  DnsResult result;
  result.addresses = channel_->hosts_file_addresses(name);
  result.outcome = result.addresses.empty() ? DnsOutcome::no_data : DnsOutcome::records;
  // Read again after a few seconds, so an edit of the file shows soon without a read per request.
  result.ttl = kHostsFileTtl;
  cache_.store(name, DnsType::hosts_file, result, now);
  if (const DnsResult* stored = cache_.find(name, DnsType::hosts_file, now)) return *stored;
  hosts_file_uncached_ = std::move(result);  // the cache keeps nothing (cache_entries = 0)
  return hosts_file_uncached_;
}

void DnsClient::on_answer(const std::string& key, const std::string& name, DnsType type, int status,
                          std::span<const unsigned char> answer) {
  DnsResult result = read_dns_answer(type, status, answer);
  cache_.store(name, type, result, DnsCache::Clock::now());
  auto found = waiting_.find(key);
  if (found == waiting_.end()) return;
  // Out of the map before anyone is told: a waiter may start lookups of its own.
  std::vector<DnsResultCallback> waiters = std::move(found->second);
  waiting_.erase(found);
  for (auto& waiter : waiters) waiter(result);
}

}  // namespace osprey::net
