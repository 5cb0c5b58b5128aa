#include "security/rate_limiter.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

namespace ip = boost::asio::ip;
using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

const ip::address kFlooder = ip::make_address("203.0.113.1");
const ip::address kNeighbour = ip::make_address("203.0.113.2");
const Clock::time_point kStart = Clock::time_point(1000s);

RateLimit limit(double requests_per_second, double burst) {
  RateLimit result;
  result.requests_per_second = requests_per_second;
  result.burst = burst;
  return result;
}

std::vector<RateDecision> admit_n(RateLimiter& limiter, const ip::address& source, Clock::time_point now,
                                  int n) {
  std::vector<RateDecision> decisions;
  for (int i = 0; i < n; ++i) decisions.push_back(limiter.admit(source, now));
  return decisions;
}

using enum RateDecision;

TEST(RateLimiter, OffPassesEverything) {
  RateLimiter limiter(RateLimit{});
  for (RateDecision decision : admit_n(limiter, kFlooder, kStart, 1000)) EXPECT_EQ(decision, pass);
  EXPECT_EQ(limiter.tracked_sources(), 0u);
}

TEST(RateLimiter, BurstThenOneRejectThenSilence) {
  RateLimiter limiter(limit(2, 2));
  EXPECT_EQ(admit_n(limiter, kFlooder, kStart, 5), (std::vector{pass, pass, reject, drop, drop}));
  // Half a second refills one request (2/s) but only half a reply (1/s).
  EXPECT_EQ(admit_n(limiter, kFlooder, kStart + 500ms, 2), (std::vector{pass, drop}));
  // A second after the reject, one more reject is allowed.
  EXPECT_EQ(admit_n(limiter, kFlooder, kStart + 1000ms, 3), (std::vector{pass, reject, drop}));
}

TEST(RateLimiter, RefillIsCappedAtTheBurst) {
  RateLimiter limiter(limit(10, 3));
  EXPECT_EQ(admit_n(limiter, kFlooder, kStart, 4), (std::vector{pass, pass, pass, reject}));
  // An hour idle buys three requests, not 36,000.
  EXPECT_EQ(admit_n(limiter, kFlooder, kStart + 1h, 4), (std::vector{pass, pass, pass, reject}));
}

TEST(RateLimiter, SteadyRateUnderTheLimitAlwaysPasses) {
  RateLimiter limiter(limit(10, 1));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.admit(kFlooder, kStart + i * 100ms), pass) << i;
  EXPECT_EQ(limiter.admit(kFlooder, kStart + 9950ms), reject);  // 50 ms after the last: too soon
}

TEST(RateLimiter, BurstDefaultsToOneSecondsWorth) {
  RateLimiter five(limit(5, 0));
  EXPECT_EQ(admit_n(five, kFlooder, kStart, 6), (std::vector{pass, pass, pass, pass, pass, reject}));
  RateLimiter slow(limit(0.5, 0));  // at least one request
  EXPECT_EQ(admit_n(slow, kFlooder, kStart, 2), (std::vector{pass, reject}));
}

TEST(RateLimiter, RetryAfterIsTheWaitForTheNextToken) {
  RateLimiter limiter(limit(0.1, 1));                    // one request every 10 s
  EXPECT_EQ(limiter.retry_after(kFlooder, kStart), 1u);  // unknown source
  EXPECT_EQ(limiter.admit(kFlooder, kStart), pass);
  EXPECT_EQ(limiter.admit(kFlooder, kStart), reject);
  EXPECT_EQ(limiter.retry_after(kFlooder, kStart), 10u);
  EXPECT_EQ(limiter.retry_after(kFlooder, kStart + 4s), 6u);
  EXPECT_EQ(limiter.retry_after(kFlooder, kStart + 9500ms), 1u);  // rounded up, never 0
  EXPECT_EQ(limiter.retry_after(kFlooder, kStart + 20s), 1u);
  EXPECT_EQ(limiter.admit(kFlooder, kStart + 10s), pass);

  RateLimiter fast(limit(100, 1));
  fast.admit(kFlooder, kStart);
  EXPECT_EQ(fast.retry_after(kFlooder, kStart), 1u);

  RateLimiter glacial(limit(0.0001, 1));
  glacial.admit(kFlooder, kStart);
  EXPECT_EQ(glacial.retry_after(kFlooder, kStart), 3600u);
}

TEST(RateLimiter, ExemptSourcesAreNeverLimited) {
  RateLimit config = limit(1, 1);
  const std::vector<std::string> trunks{"198.51.100.0/24"};
  config.exempt = AddressSet::parse(trunks).value();
  RateLimiter limiter(std::move(config));
  for (RateDecision decision : admit_n(limiter, ip::make_address("198.51.100.7"), kStart, 100)) {
    EXPECT_EQ(decision, pass);
  }
  for (RateDecision decision : admit_n(limiter, ip::make_address("::ffff:198.51.100.7"), kStart, 100)) {
    EXPECT_EQ(decision, pass);
  }
  EXPECT_EQ(admit_n(limiter, kFlooder, kStart, 2), (std::vector{pass, reject}));
}

TEST(RateLimiter, OneFlooderDoesNotTouchAnothersBucket) {
  RateLimiter limiter(limit(2, 2));
  admit_n(limiter, kFlooder, kStart, 1000);
  EXPECT_EQ(admit_n(limiter, kNeighbour, kStart, 3), (std::vector{pass, pass, reject}));
  EXPECT_EQ(limiter.admit(kFlooder, kStart), drop);
}

TEST(RateLimiter, MappedIpv6SharesTheIpv4Bucket) {
  RateLimiter limiter(limit(1, 2));
  EXPECT_EQ(limiter.admit(kFlooder, kStart), pass);
  EXPECT_EQ(limiter.admit(ip::make_address("::ffff:203.0.113.1"), kStart), pass);
  EXPECT_EQ(limiter.admit(kFlooder, kStart), reject);
  EXPECT_EQ(limiter.tracked_sources(), 1u);
}

TEST(RateLimiter, SweepForgetsOnlyRefilledBuckets) {
  RateLimiter limiter(limit(2, 2));
  EXPECT_EQ(limiter.admit(kNeighbour, kStart), pass);  // one token left, full again at +500 ms
  admit_n(limiter, kFlooder, kStart + 400ms, 5);       // empty, full again at +1400 ms
  EXPECT_EQ(limiter.tracked_sources(), 2u);
  limiter.sweep(kStart + 450ms);  // neither is full yet
  EXPECT_EQ(limiter.tracked_sources(), 2u);
  limiter.sweep(kStart + 500ms);  // the neighbour's bucket is full again; the flooder's is not
  EXPECT_EQ(limiter.tracked_sources(), 1u);
  EXPECT_EQ(limiter.admit(kFlooder, kStart + 500ms), drop);  // still limited
  limiter.sweep(kStart + 3s);
  EXPECT_EQ(limiter.tracked_sources(), 0u);
  // Forgetting a full bucket changes nothing: a new one is full as well.
  EXPECT_EQ(admit_n(limiter, kNeighbour, kStart + 3s, 3), (std::vector{pass, pass, reject}));
}

TEST(RateLimiter, SourcesBeyondTheMaximumShareOneOverflowBucket) {
  RateLimiter limiter(limit(1, 2), 2);
  limiter.admit(ip::make_address("192.0.2.1"), kStart);
  limiter.admit(ip::make_address("192.0.2.2"), kStart);
  EXPECT_EQ(limiter.tracked_sources(), 2u);
  // Spoofed sources beyond the maximum: one bucket between them all.
  EXPECT_EQ(limiter.admit(ip::make_address("192.0.2.3"), kStart), pass);
  EXPECT_EQ(limiter.admit(ip::make_address("192.0.2.4"), kStart), pass);
  EXPECT_EQ(limiter.admit(ip::make_address("192.0.2.5"), kStart), reject);
  EXPECT_EQ(limiter.admit(ip::make_address("192.0.2.6"), kStart), drop);
  EXPECT_EQ(limiter.tracked_sources(), 2u);
  // The tracked sources keep their own buckets.
  EXPECT_EQ(limiter.admit(ip::make_address("192.0.2.1"), kStart), pass);
  // Once sweep() makes room, a new source gets a bucket of its own again.
  limiter.sweep(kStart + 10s);
  EXPECT_EQ(admit_n(limiter, ip::make_address("192.0.2.7"), kStart + 10s, 3),
            (std::vector{pass, pass, reject}));
  EXPECT_EQ(limiter.tracked_sources(), 1u);
}

}  // namespace
}  // namespace osprey::security
