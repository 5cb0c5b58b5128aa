// The DNS cache: TTLs within their bounds, negative answers, and the entry bound (LRU).
#include "net/dns_cache.hpp"

#include <gtest/gtest.h>

namespace osprey::net {
namespace {

using namespace std::chrono_literals;

DnsResult addresses(const char* address, std::optional<std::chrono::seconds> ttl) {
  DnsResult result;
  result.outcome = DnsOutcome::records;
  result.addresses.push_back(boost::asio::ip::make_address(address));
  result.ttl = ttl;
  return result;
}

DnsResult negative(DnsOutcome outcome, std::optional<std::chrono::seconds> ttl) {
  DnsResult result;
  result.outcome = outcome;
  result.ttl = ttl;
  return result;
}

class DnsCacheTest : public ::testing::Test {
 protected:
  DnsCache cache_{DnsCacheLimits{3, 2s, 100s, 30s, 5s}};
  const DnsCache::Clock::time_point start_ = DnsCache::Clock::now();
};

TEST_F(DnsCacheTest, KeepsAnAnswerForItsTtl) {
  cache_.store("a.example", DnsType::a, addresses("192.0.2.1", 10s), start_);
  ASSERT_NE(cache_.find("a.example", DnsType::a, start_ + 9s), nullptr);
  EXPECT_EQ(cache_.find("A.Example.", DnsType::a, start_ + 9s)->addresses.size(), 1u);  // RFC 4343
  EXPECT_EQ(cache_.find("a.example", DnsType::aaaa, start_), nullptr);                  // another type
  EXPECT_EQ(cache_.find("a.example", DnsType::a, start_ + 10s), nullptr);
  EXPECT_EQ(cache_.size(), 0u);  // the expired entry is gone
}

TEST_F(DnsCacheTest, ClampsTheTtl) {
  cache_.store("zero", DnsType::a, addresses("192.0.2.1", 0s), start_);
  cache_.store("huge", DnsType::a, addresses("192.0.2.2", 86400s), start_);
  EXPECT_NE(cache_.find("zero", DnsType::a, start_ + 1s), nullptr);  // min_ttl 2 s
  EXPECT_EQ(cache_.find("zero", DnsType::a, start_ + 2s), nullptr);
  EXPECT_NE(cache_.find("huge", DnsType::a, start_ + 99s), nullptr);  // max_ttl 100 s
  EXPECT_EQ(cache_.find("huge", DnsType::a, start_ + 100s), nullptr);
}

TEST_F(DnsCacheTest, NegativeAnswersUseTheSoaTtlOrTheDefault) {
  cache_.store("gone", DnsType::naptr, negative(DnsOutcome::no_such_name, 50s), start_);
  cache_.store("empty", DnsType::naptr, negative(DnsOutcome::no_data, std::nullopt), start_);
  cache_.store("dead", DnsType::naptr, negative(DnsOutcome::no_answer, 3600s), start_);
  EXPECT_NE(cache_.find("gone", DnsType::naptr, start_ + 49s), nullptr);
  EXPECT_EQ(cache_.find("empty", DnsType::naptr, start_ + 29s)->outcome, DnsOutcome::no_data);
  EXPECT_EQ(cache_.find("empty", DnsType::naptr, start_ + 30s), nullptr);
  // RFC 2308 §7: a failure is kept only briefly, whatever it claims.
  EXPECT_NE(cache_.find("dead", DnsType::naptr, start_ + 4s), nullptr);
  EXPECT_EQ(cache_.find("dead", DnsType::naptr, start_ + 5s), nullptr);
}

TEST_F(DnsCacheTest, TheBoundEvictsTheLeastRecentlyUsed) {
  cache_.store("one", DnsType::a, addresses("192.0.2.1", 60s), start_);
  cache_.store("two", DnsType::a, addresses("192.0.2.2", 60s), start_);
  cache_.store("three", DnsType::a, addresses("192.0.2.3", 60s), start_);
  ASSERT_NE(cache_.find("one", DnsType::a, start_), nullptr);  // "two" is now the oldest use
  cache_.store("four", DnsType::a, addresses("192.0.2.4", 60s), start_);
  EXPECT_EQ(cache_.size(), 3u);
  EXPECT_EQ(cache_.find("two", DnsType::a, start_), nullptr);
  EXPECT_NE(cache_.find("one", DnsType::a, start_), nullptr);
  EXPECT_NE(cache_.find("three", DnsType::a, start_), nullptr);
  EXPECT_NE(cache_.find("four", DnsType::a, start_), nullptr);
}

TEST_F(DnsCacheTest, ZeroEntriesCachesNothing) {
  DnsCache none{DnsCacheLimits{0, 1s, 10s, 10s, 5s}};
  none.store("a", DnsType::a, addresses("192.0.2.1", 60s), start_);
  EXPECT_EQ(none.find("a", DnsType::a, start_), nullptr);
}

}  // namespace
}  // namespace osprey::net
