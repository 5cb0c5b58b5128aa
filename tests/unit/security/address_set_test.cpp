#include "security/address_set.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

namespace ip = boost::asio::ip;

AddressSet parse_ok(std::vector<std::string> cidrs) {
  auto set = AddressSet::parse(cidrs);
  EXPECT_TRUE(set) << set.error();
  return set.value_or(AddressSet{});
}

std::string parse_error(std::vector<std::string> cidrs) {
  auto set = AddressSet::parse(cidrs);
  EXPECT_FALSE(set);
  return set ? std::string() : set.error();
}

bool contains(const AddressSet& set, const char* address) { return set.contains(ip::make_address(address)); }

TEST(AddressSet, EmptyContainsNothing) {
  const AddressSet none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(contains(none, "10.0.0.1"));
  EXPECT_FALSE(contains(none, "::1"));
  EXPECT_TRUE(parse_ok({}).empty());
}

TEST(AddressSet, Ipv4NetworksAndTheirEdges) {
  const AddressSet set = parse_ok({"10.0.0.0/8", "192.0.2.128/25"});
  EXPECT_FALSE(set.empty());
  EXPECT_TRUE(contains(set, "10.0.0.0"));
  EXPECT_TRUE(contains(set, "10.255.255.255"));
  EXPECT_FALSE(contains(set, "11.0.0.0"));
  EXPECT_FALSE(contains(set, "9.255.255.255"));
  EXPECT_TRUE(contains(set, "192.0.2.128"));
  EXPECT_TRUE(contains(set, "192.0.2.255"));
  EXPECT_FALSE(contains(set, "192.0.2.127"));
}

TEST(AddressSet, Ipv6Networks) {
  const AddressSet set = parse_ok({"2001:db8::/32"});
  EXPECT_TRUE(contains(set, "2001:db8::1"));
  EXPECT_TRUE(contains(set, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(contains(set, "2001:db9::1"));
  EXPECT_FALSE(contains(set, "10.0.0.1"));  // the families do not mix
}

TEST(AddressSet, BareAddressIsOneHost) {
  const AddressSet set = parse_ok({"192.0.2.7", "2001:db8::7"});
  EXPECT_TRUE(contains(set, "192.0.2.7"));
  EXPECT_FALSE(contains(set, "192.0.2.6"));
  EXPECT_FALSE(contains(set, "192.0.2.8"));
  EXPECT_TRUE(contains(set, "2001:db8::7"));
  EXPECT_FALSE(contains(set, "2001:db8::8"));
}

TEST(AddressSet, MappedIpv6AddressIsItsIpv4Address) {
  const AddressSet set = parse_ok({"10.0.0.0/8"});
  EXPECT_TRUE(contains(set, "::ffff:10.1.2.3"));
  EXPECT_FALSE(contains(set, "::ffff:11.1.2.3"));
}

TEST(AddressSet, MappedIpv6NetworkIsItsIpv4Network) {
  const AddressSet set = parse_ok({"::ffff:10.0.0.0/104", "::ffff:192.0.2.1"});
  EXPECT_TRUE(contains(set, "10.1.2.3"));
  EXPECT_TRUE(contains(set, "::ffff:10.1.2.3"));
  EXPECT_FALSE(contains(set, "11.0.0.1"));
  EXPECT_TRUE(contains(set, "192.0.2.1"));
  EXPECT_FALSE(contains(set, "192.0.2.2"));
}

TEST(AddressSet, NetworkHoldingTheMappedRangeHoldsEveryIpv4Address) {
  const AddressSet all = parse_ok({"::/0"});
  EXPECT_TRUE(contains(all, "2001:db8::1"));
  EXPECT_TRUE(contains(all, "203.0.113.9"));
  const AddressSet documentation = parse_ok({"2001:db8::/32"});
  EXPECT_FALSE(contains(documentation, "::ffff:203.0.113.9"));
}

TEST(AddressSet, WholeIpv4SpaceAndLinkLocalWithScope) {
  const AddressSet set = parse_ok({"0.0.0.0/0", "fe80::/10"});
  EXPECT_TRUE(contains(set, "203.0.113.9"));
  EXPECT_TRUE(contains(set, "::ffff:203.0.113.9"));
  EXPECT_TRUE(contains(set, "fe80::1%1"));  // the scope names our interface, not the peer
  EXPECT_FALSE(contains(set, "2001:db8::1"));
}

TEST(AddressSet, ErrorsNameTheBadEntry) {
  EXPECT_EQ(parse_error({"10.0.0.0/8", "10.0.0.0/33"}), "10.0.0.0/33: prefix length out of range");
  EXPECT_EQ(parse_error({"2001:db8::/129"}), "2001:db8::/129: prefix length out of range");
  EXPECT_EQ(parse_error({"10.0.0.0/99999999999999999999"}),
            "10.0.0.0/99999999999999999999: prefix length out of range");
  EXPECT_EQ(parse_error({"10.0.0/8"}), "10.0.0/8: not an IPv4 or IPv6 address");
  EXPECT_EQ(parse_error({"example.com"}), "example.com: not an IPv4 or IPv6 address");
  EXPECT_EQ(parse_error({"/8"}), "/8: not an IPv4 or IPv6 address");
  EXPECT_EQ(parse_error({""}), ": not an IPv4 or IPv6 address");
  EXPECT_EQ(parse_error({"10.0.0.0/"}), "10.0.0.0/: prefix length is not a number");
  EXPECT_EQ(parse_error({"10.0.0.0/-1"}), "10.0.0.0/-1: prefix length is not a number");
  EXPECT_EQ(parse_error({"10.0.0.0/8x"}), "10.0.0.0/8x: prefix length is not a number");
  EXPECT_EQ(parse_error({"10.0.0.0/8/8"}), "10.0.0.0/8/8: prefix length is not a number");
}

TEST(AddressSet, HostBitsAreAnErrorNotRoundedDown) {
  EXPECT_EQ(parse_error({"10.1.2.3/8"}), "10.1.2.3/8: host bits set (did you mean 10.0.0.0/8?)");
  EXPECT_EQ(parse_error({"2001:db8::1/32"}), "2001:db8::1/32: host bits set (did you mean 2001:db8::/32?)");
}

}  // namespace
}  // namespace osprey::security
