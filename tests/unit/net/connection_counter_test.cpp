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

using Admission = ConnectionCounter::Admission;

asio::ip::address v4(const char* text) { return asio::ip::make_address(text); }

TEST(ConnectionCounter, OneIpv4Slash24IsCappedWhateverItsAddresses) {
  // Many addresses of one network are one party: 160 addresses x 63 connections took every slot.
  ConnectionCounter counter(ConnectionCaps{100, 2, 5});
  EXPECT_EQ(counter.try_admit(v4("198.51.100.1")), Admission::admitted);
  EXPECT_EQ(counter.try_admit(v4("198.51.100.1")), Admission::admitted);
  EXPECT_EQ(counter.try_admit(v4("198.51.100.1")), Admission::address_full);
  EXPECT_EQ(counter.try_admit(v4("198.51.100.2")), Admission::admitted);
  EXPECT_EQ(counter.try_admit(v4("198.51.100.2")), Admission::admitted);
  EXPECT_EQ(counter.try_admit(v4("198.51.100.250")), Admission::admitted);
  EXPECT_EQ(counter.try_admit(v4("198.51.100.251")), Admission::network_full);  // the sixth in the /24
  EXPECT_EQ(counter.for_network(v4("198.51.100.77")), 5u);
  EXPECT_EQ(counter.try_admit(v4("198.51.101.1")), Admission::admitted);  // the next /24 is another network
  EXPECT_EQ(counter.try_admit(v4("199.51.100.1")), Admission::admitted);
  EXPECT_EQ(counter.total(), 7u);
  // A v4-mapped address is in the same /24.
  EXPECT_EQ(counter.try_admit(asio::ip::make_address("::ffff:198.51.100.9")), Admission::network_full);
  counter.release(v4("198.51.100.250"));
  EXPECT_EQ(counter.for_network(v4("198.51.100.1")), 4u);
  EXPECT_EQ(counter.try_admit(v4("198.51.100.251")), Admission::admitted);
}

TEST(ConnectionCounter, OneIpv6Slash64IsCappedWhateverItsAddresses) {
  ConnectionCounter counter(ConnectionCaps{100, 1, 3});
  EXPECT_TRUE(counter.try_acquire(asio::ip::make_address("2001:db8:1:2::1")));
  EXPECT_TRUE(counter.try_acquire(asio::ip::make_address("2001:db8:1:2:ffff::1")));
  EXPECT_TRUE(counter.try_acquire(asio::ip::make_address("2001:db8:1:2:abcd:1234:5678:9abc")));
  EXPECT_EQ(counter.try_admit(asio::ip::make_address("2001:db8:1:2::99")), Admission::network_full);
  EXPECT_EQ(counter.try_admit(asio::ip::make_address("2001:db8:1:3::1")),
            Admission::admitted);  // another /64
  // The /64 of :: (first 8 bytes zero) is not where v4-mapped addresses are counted.
  EXPECT_TRUE(counter.try_acquire(asio::ip::make_address("::1")));
  EXPECT_TRUE(counter.try_acquire(asio::ip::make_address("::2")));
  EXPECT_TRUE(counter.try_acquire(v4("10.0.0.1")));
  EXPECT_EQ(counter.for_network(v4("10.0.0.2")), 1u);
  EXPECT_EQ(counter.for_network(asio::ip::make_address("::3")), 2u);
}

TEST(ConnectionCounter, CapsOfThePeerComeBeforeTheTotal) {
  // A caller sheds a slow connection only on all_full: a peer over its own caps must never get
  // that far, or it could have others' connections closed for nothing.
  ConnectionCounter counter(ConnectionCaps{3, 1, 2});
  EXPECT_TRUE(counter.try_acquire(v4("192.0.2.1")));
  EXPECT_TRUE(counter.try_acquire(v4("192.0.2.2")));
  EXPECT_TRUE(counter.try_acquire(v4("198.51.100.1")));
  EXPECT_EQ(counter.try_admit(v4("192.0.2.1")), Admission::address_full);
  EXPECT_EQ(counter.try_admit(v4("192.0.2.3")), Admission::network_full);
  EXPECT_EQ(counter.try_admit(v4("203.0.113.1")), Admission::all_full);
  EXPECT_EQ(counter.total(), 3u);
}

TEST(ConnectionCounter, AdmissionsAboveNineTenthsSaySo) {
  ConnectionCounter counter(ConnectionCaps{20, 20, 20});
  EXPECT_EQ(counter.shed_above(), 18u);
  for (int i = 0; i < 18; ++i) EXPECT_EQ(counter.try_admit(v4("192.0.2.1")), Admission::admitted) << i;
  EXPECT_EQ(counter.try_admit(v4("192.0.2.1")), Admission::admitted_near_full);
  EXPECT_EQ(counter.try_admit(v4("192.0.2.1")), Admission::admitted_near_full);
  EXPECT_EQ(counter.try_admit(v4("192.0.2.1")), Admission::address_full);
  counter.release(v4("192.0.2.1"));
  counter.release(v4("192.0.2.1"));
  EXPECT_EQ(counter.try_admit(v4("192.0.2.1")), Admission::admitted_near_full);
  counter.release(v4("192.0.2.1"));
  counter.release(v4("192.0.2.1"));
  EXPECT_EQ(counter.try_admit(v4("192.0.2.1")), Admission::admitted);
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
