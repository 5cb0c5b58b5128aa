#include "net/address_text.hpp"

#include <random>
#include <string>

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

// parse_address must take exactly what boost's make_address takes, and read it the same: it
// decides whether a Via's sent-by is the packet's source and whether a host is osprey's own.
std::optional<boost::asio::ip::address> boost_reading(const std::string& text) {
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(text, error);
  if (error) return std::nullopt;
  return address;
}

TEST(ParseAddress, ReadsWhatBoostReads) {
  for (const char* text :
       {"0.0.0.0",     "127.0.0.1", "9.10.99.100", "255.255.255.255",  "256.0.0.1",  "1.2.3",     "1.2.3.4.5",
        "01.2.3.4",    "1.2.3.04",  "1.2.3.0",     "1..2.3",           ".1.2.3",     "1.2.3.",    "1.2.3.4 ",
        " 1.2.3.4",    "1.2.3.4x",  "1.2.3.-4",    "1111.2.3.4",       "1.2.3.2555", "",          ".",
        "example.com", "::1",       "2001:db8::1", "::ffff:192.0.2.1", "[::1]",      "fe80::1%1", "1:2",
        "4294967295",  "0x7f.0.0.1"}) {
    EXPECT_EQ(parse_address(text), boost_reading(text)) << text;
  }
}

TEST(ParseAddress, AgreesWithBoostOnRandomDottedText) {
  // Text drawn from digits, dots and a few others, the alphabet where a hand-written reader errs.
  std::mt19937 random(20261207);
  const std::string alphabet = "0123456789...:x ";
  for (int round = 0; round < 200000; ++round) {
    std::string text(random() % 17, ' ');
    for (char& c : text) c = alphabet[random() % alphabet.size()];
    ASSERT_EQ(parse_address(text), boost_reading(text)) << '"' << text << '"';
  }
}

}  // namespace
}  // namespace osprey::net
