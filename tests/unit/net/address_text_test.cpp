#include "net/address_text.hpp"

#include <gtest/gtest.h>

namespace osprey::net {
namespace {

TEST(AddressText, Ipv4MatchesBoostForEveryOctetWidth) {
  for (const char* text : {"0.0.0.0", "127.0.0.1", "9.10.99.100", "192.0.2.255", "255.255.255.255"}) {
    const auto address = boost::asio::ip::make_address(text);
    EXPECT_EQ(address_text(address), text);
    EXPECT_EQ(address_text(address), address.to_string());
  }
}

TEST(AddressText, Ipv6HasNoBrackets) {
  const auto address = boost::asio::ip::make_address("2001:DB8::1");
  EXPECT_EQ(address_text(address), "2001:db8::1");
}

}  // namespace
}  // namespace osprey::net
