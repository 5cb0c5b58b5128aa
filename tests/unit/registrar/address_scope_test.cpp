#include "registrar/address_scope.hpp"

#include <gtest/gtest.h>

namespace osprey::registrar {
namespace {

TEST(AddressScope, Rfc1918RangesArePrivate) {
  EXPECT_TRUE(is_private_address("10.0.0.1"));
  EXPECT_TRUE(is_private_address("10.255.255.255"));
  EXPECT_TRUE(is_private_address("172.16.0.1"));
  EXPECT_TRUE(is_private_address("172.31.255.254"));
  EXPECT_FALSE(is_private_address("172.15.255.255"));
  EXPECT_FALSE(is_private_address("172.32.0.1"));
  EXPECT_TRUE(is_private_address("192.168.1.20"));
  EXPECT_FALSE(is_private_address("192.169.0.1"));
  EXPECT_FALSE(is_private_address("11.0.0.1"));
}

TEST(AddressScope, CarrierGradeNatAndLinkLocalArePrivate) {
  EXPECT_TRUE(is_private_address("100.64.0.1"));
  EXPECT_TRUE(is_private_address("100.127.255.255"));
  EXPECT_FALSE(is_private_address("100.63.255.255"));
  EXPECT_FALSE(is_private_address("100.128.0.1"));
  EXPECT_TRUE(is_private_address("169.254.10.10"));
  EXPECT_FALSE(is_private_address("169.253.10.10"));
  EXPECT_TRUE(is_private_address("0.0.0.0"));
}

TEST(AddressScope, PublicAndLoopbackAreNot) {
  EXPECT_FALSE(is_private_address("192.0.2.1"));
  EXPECT_FALSE(is_private_address("8.8.8.8"));
  EXPECT_FALSE(is_private_address("127.0.0.1"));  // a UA on osprey's host: its Contact holds
  EXPECT_FALSE(is_private_address("::1"));
  EXPECT_FALSE(is_private_address("2001:db8::1"));
}

TEST(AddressScope, Ipv6RangesArePrivate) {
  EXPECT_TRUE(is_private_address("fe80::1"));
  EXPECT_TRUE(is_private_address("[fe80::1]"));
  EXPECT_TRUE(is_private_address("febf::1"));
  EXPECT_FALSE(is_private_address("fec0::1"));
  EXPECT_TRUE(is_private_address("fc00::1"));
  EXPECT_TRUE(is_private_address("fd12:3456::1"));
  EXPECT_FALSE(is_private_address("fe00::1"));
  EXPECT_TRUE(is_private_address("::"));
}

TEST(AddressScope, Ipv4MappedIsJudgedAsIpv4) {
  EXPECT_TRUE(is_private_address("::ffff:10.1.2.3"));
  EXPECT_TRUE(is_private_address("[::ffff:192.168.0.1]"));
  EXPECT_FALSE(is_private_address("::ffff:192.0.2.1"));
  EXPECT_FALSE(is_private_address("::ffff:127.0.0.1"));
}

TEST(AddressScope, HostNamesAndJunkAreNotJudged) {
  EXPECT_FALSE(is_private_address("pbx.example.com"));
  EXPECT_FALSE(is_private_address("10.0.0"));
  EXPECT_FALSE(is_private_address(""));
  EXPECT_FALSE(is_private_address("[]"));
  EXPECT_FALSE(is_private_address("10.0.0.1.example.com"));
  EXPECT_FALSE(is_private_address(std::string(200, '1')));
}

TEST(AddressScope, IpLiterals) {
  EXPECT_TRUE(is_ip_literal("192.0.2.1"));
  EXPECT_TRUE(is_ip_literal("[2001:db8::1]"));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_FALSE(is_ip_literal("example.com"));
  EXPECT_FALSE(is_ip_literal("192.0.2.256"));
}

TEST(AddressScope, CanonicalAddressComparesSpellings) {
  EXPECT_EQ(canonical_address("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(canonical_address("[::FFFF:c000:201]"), "192.0.2.1");
  EXPECT_EQ(canonical_address("[2001:DB8:0::1]"), "2001:db8::1");
  EXPECT_EQ(canonical_address("example.com"), "");
}

}  // namespace
}  // namespace osprey::registrar
