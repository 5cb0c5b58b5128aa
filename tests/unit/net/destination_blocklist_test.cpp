#include "net/destination_blocklist.hpp"

#include <gtest/gtest.h>

namespace osprey::net {
namespace {

Endpoint at(const char* address, std::uint16_t port) {
  return {boost::asio::ip::make_address(address), port};
}

class DestinationBlocklistTest : public ::testing::Test {
 protected:
  DestinationBlocklist make(BlocklistSettings settings = {}) {
    return DestinationBlocklist(settings, [this] { return now_; });
  }
  std::int64_t now_ = 1000;
};

TEST_F(DestinationBlocklistTest, AFailedDestinationIsListedForTheTtlOnly) {
  auto list = make({.ttl = std::chrono::seconds(60)});
  list.failed(Protocol::udp, at("192.0.2.1", 5060));
  EXPECT_TRUE(list.contains(Protocol::udp, at("192.0.2.1", 5060)));
  // Another transport or port of the same host is another destination.
  EXPECT_FALSE(list.contains(Protocol::tcp, at("192.0.2.1", 5060)));
  EXPECT_FALSE(list.contains(Protocol::udp, at("192.0.2.1", 5062)));
  now_ += 59;
  EXPECT_TRUE(list.contains(Protocol::udp, at("192.0.2.1", 5060)));
  now_ += 1;
  EXPECT_FALSE(list.contains(Protocol::udp, at("192.0.2.1", 5060)));
}

TEST_F(DestinationBlocklistTest, AnIpv4MappedAddressIsItsIpv4Address) {
  auto list = make();
  list.failed(Protocol::udp, at("::ffff:192.0.2.1", 5060));
  EXPECT_TRUE(list.contains(Protocol::udp, at("192.0.2.1", 5060)));
}

TEST_F(DestinationBlocklistTest, RetryAfterListsForThatLongBounded) {
  auto list = make({.ttl = std::chrono::seconds(60), .max_retry_after = std::chrono::seconds(3600)});
  list.unavailable_for(Protocol::udp, at("192.0.2.1", 5060), 300);
  now_ += 299;
  EXPECT_TRUE(list.contains(Protocol::udp, at("192.0.2.1", 5060)));
  now_ += 1;
  EXPECT_FALSE(list.contains(Protocol::udp, at("192.0.2.1", 5060)));
  // A week asked for is an hour.
  list.unavailable_for(Protocol::udp, at("192.0.2.2", 5060), 7 * 86400);
  now_ += 3599;
  EXPECT_TRUE(list.contains(Protocol::udp, at("192.0.2.2", 5060)));
  now_ += 1;
  EXPECT_FALSE(list.contains(Protocol::udp, at("192.0.2.2", 5060)));
}

TEST_F(DestinationBlocklistTest, AShorterListingNeverShortensALongerOne) {
  auto list = make({.ttl = std::chrono::seconds(60)});
  list.unavailable_for(Protocol::udp, at("192.0.2.1", 5060), 600);
  list.failed(Protocol::udp, at("192.0.2.1", 5060));
  now_ += 300;
  EXPECT_TRUE(list.contains(Protocol::udp, at("192.0.2.1", 5060)));
  EXPECT_EQ(list.size(), 1u);
}

TEST_F(DestinationBlocklistTest, ListedHopsGoLastInTheirOrder) {
  auto list = make();
  std::vector<ResolvedHop> hops = {{Protocol::udp, at("192.0.2.1", 5060)},
                                   {Protocol::udp, at("192.0.2.2", 5060)},
                                   {Protocol::tcp, at("192.0.2.3", 5060)},
                                   {Protocol::udp, at("192.0.2.4", 5060)}};
  list.failed(Protocol::udp, at("192.0.2.1", 5060));
  list.failed(Protocol::tcp, at("192.0.2.3", 5060));
  list.order(hops);
  ASSERT_EQ(hops.size(), 4u);  // nothing is dropped: a listed hop is still tried, last
  EXPECT_EQ(hops[0].endpoint, at("192.0.2.2", 5060));
  EXPECT_EQ(hops[1].endpoint, at("192.0.2.4", 5060));
  EXPECT_EQ(hops[2].endpoint, at("192.0.2.1", 5060));
  EXPECT_EQ(hops[3].endpoint, at("192.0.2.3", 5060));
}

TEST_F(DestinationBlocklistTest, TheListNeverGrowsPastItsCapacity) {
  auto list = make({.ttl = std::chrono::seconds(60), .capacity = 8});
  // An attacker's contacts pointing at a thousand dead addresses.
  for (int i = 0; i < 1000; ++i) {
    list.failed(Protocol::udp, at("198.51.100.1", static_cast<std::uint16_t>(1000 + i)));
    now_ += i % 2;
  }
  EXPECT_EQ(list.size(), 8u);
  // The newest stay; the oldest made way.
  EXPECT_TRUE(list.contains(Protocol::udp, at("198.51.100.1", 1999)));
  EXPECT_FALSE(list.contains(Protocol::udp, at("198.51.100.1", 1000)));
}

TEST_F(DestinationBlocklistTest, ZeroTtlOrCapacityListsNothing) {
  auto off = make({.ttl = std::chrono::seconds(0)});
  off.failed(Protocol::udp, at("192.0.2.1", 5060));
  EXPECT_FALSE(off.contains(Protocol::udp, at("192.0.2.1", 5060)));
  auto none = make({.capacity = 0});
  none.unavailable_for(Protocol::udp, at("192.0.2.1", 5060), 60);
  EXPECT_EQ(none.size(), 0u);
}

}  // namespace
}  // namespace osprey::net
