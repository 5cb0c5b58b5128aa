#include "net/connection_counter.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace osprey::net {
namespace {

namespace asio = boost::asio;

const asio::ip::address kAlice = asio::ip::make_address("192.0.2.1");
const asio::ip::address kBob = asio::ip::make_address("192.0.2.2");
const asio::ip::address kCarol = asio::ip::make_address("2001:db8::3");

TEST(ConnectionCounter, PerAddressLimit) {
  ConnectionCounter counter(100, 2);
  EXPECT_TRUE(counter.try_acquire(kAlice));
  EXPECT_TRUE(counter.try_acquire(kAlice));
  EXPECT_FALSE(counter.try_acquire(kAlice));  // a third from the same address
  EXPECT_TRUE(counter.try_acquire(kBob));     // others are not affected
  EXPECT_EQ(counter.for_address(kAlice), 2u);
  EXPECT_EQ(counter.for_address(kBob), 1u);
  EXPECT_EQ(counter.total(), 3u);
}

TEST(ConnectionCounter, TotalLimit) {
  ConnectionCounter counter(2, 10);
  EXPECT_TRUE(counter.try_acquire(kAlice));
  EXPECT_TRUE(counter.try_acquire(kBob));
  EXPECT_FALSE(counter.try_acquire(kCarol));
  EXPECT_EQ(counter.for_address(kCarol), 0u);  // a refusal counts nothing
  EXPECT_EQ(counter.total(), 2u);
}

TEST(ConnectionCounter, ReleaseGivesRoomBack) {
  ConnectionCounter counter(2, 1);
  EXPECT_TRUE(counter.try_acquire(kAlice));
  EXPECT_FALSE(counter.try_acquire(kAlice));
  counter.release(kAlice);
  EXPECT_EQ(counter.for_address(kAlice), 0u);
  EXPECT_EQ(counter.total(), 0u);
  EXPECT_TRUE(counter.try_acquire(kAlice));
}

TEST(ConnectionCounter, ReleaseWithoutAcquireChangesNothing) {
  ConnectionCounter counter(2, 2);
  EXPECT_TRUE(counter.try_acquire(kAlice));
  counter.release(kBob);
  EXPECT_EQ(counter.total(), 1u);
  EXPECT_EQ(counter.for_address(kAlice), 1u);
}

TEST(ConnectionCounter, MappedIpv4IsTheSameAddressAsIpv4) {
  // A peer must not double its quota by connecting to both an IPv4 and a dual-stack listener.
  ConnectionCounter counter(10, 1);
  const auto mapped = asio::ip::make_address_v6(asio::ip::v4_mapped, kAlice.to_v4());
  EXPECT_TRUE(counter.try_acquire(kAlice));
  EXPECT_FALSE(counter.try_acquire(mapped));
  EXPECT_EQ(counter.for_address(mapped), 1u);
  counter.release(mapped);
  EXPECT_EQ(counter.for_address(kAlice), 0u);
}

TEST(ConnectionCounter, Ipv6AddressesAreCountedApart) {
  ConnectionCounter counter(10, 1);
  EXPECT_TRUE(counter.try_acquire(kCarol));
  EXPECT_TRUE(counter.try_acquire(asio::ip::make_address("2001:db8::4")));
  EXPECT_FALSE(counter.try_acquire(asio::ip::make_address("2001:db8:0:0::3")));  // same as kCarol
}

TEST(ConnectionCounter, WorkersShareItSafely) {
  // Every worker thread takes and gives back connections on the same counter.
  ConnectionCounter counter(1000000, 1000000);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&counter, w] {
      const auto peer =
          asio::ip::make_address_v4(static_cast<asio::ip::address_v4::uint_type>(0xC0000200 + w));
      for (int i = 0; i < 2000; ++i) {
        ASSERT_TRUE(counter.try_acquire(peer));
        if (i % 2 == 1) counter.release(peer);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(counter.total(), 4u * 1000u);
}

}  // namespace
}  // namespace osprey::net
