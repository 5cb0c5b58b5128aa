#include "net/stun_binding.hpp"

#include <gtest/gtest.h>

#include <string>

namespace osprey::net {
namespace {

// A Binding request (RFC 5389 §6): type 0x0001, the body's length, the magic cookie and a
// 96-bit transaction id; `attributes` appended as the body.
std::string binding_request(const std::string& attributes = {}, std::uint16_t type = 0x0001) {
  std::string r;
  r += static_cast<char>(type >> 8);
  r += static_cast<char>(type & 0xff);
  r += static_cast<char>(attributes.size() >> 8);
  r += static_cast<char>(attributes.size() & 0xff);
  r += std::string("\x21\x12\xA4\x42", 4);
  r += "0123456789ab";  // transaction id
  r += attributes;
  return r;
}

Endpoint at(const std::string& address, std::uint16_t port) {
  return {boost::asio::ip::make_address(address), port};
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

TEST(StunBinding, IsToldFromSip) {
  EXPECT_TRUE(looks_like_stun(binding_request()));
  EXPECT_FALSE(looks_like_stun("OPTIONS sip:a@b SIP/2.0\r\n\r\n"));
  EXPECT_FALSE(looks_like_stun("\r\n\r\n"));
  std::string no_cookie = binding_request();
  no_cookie[5] = 0;
  EXPECT_FALSE(looks_like_stun(no_cookie));
}

TEST(StunBinding, AnswersWithTheXorMappedIpv4Address) {
  // RFC 5769 §2.2's mapped address and port, 192.0.2.1:32853, XORed with the cookie.
  auto response = stun_binding_response(binding_request(), at("192.0.2.1", 32853));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->size(), 32u);
  EXPECT_EQ(response->substr(0, 4), bytes({0x01, 0x01, 0x00, 0x0c}));  // success, 12 bytes
  EXPECT_EQ(response->substr(4, 16), std::string("\x21\x12\xA4\x42", 4) + "0123456789ab");
  EXPECT_EQ(response->substr(20),
            bytes({0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43}));
}

TEST(StunBinding, AnIpv4MappedSourceIsItsIpv4Address) {
  auto response = stun_binding_response(binding_request(), at("::ffff:192.0.2.1", 32853));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->substr(24), bytes({0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43}));
}

TEST(StunBinding, AnswersWithTheXorMappedIpv6Address) {
  // RFC 5769 §2.3's address, 2001:db8:1234:5678:11:2233:4455:6677 port 32853, XORed with the
  // cookie and this request's transaction id ("0123456789ab").
  auto response = stun_binding_response(binding_request(), at("2001:db8:1234:5678:11:2233:4455:6677", 32853));
  ASSERT_TRUE(response);
  ASSERT_EQ(response->size(), 44u);
  EXPECT_EQ(response->substr(2, 2), bytes({0x00, 0x18}));
  EXPECT_EQ(response->substr(20, 8), bytes({0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47}));
  const std::string mask = std::string("\x21\x12\xA4\x42", 4) + "0123456789ab";
  const auto address = boost::asio::ip::make_address_v6("2001:db8:1234:5678:11:2233:4455:6677").to_bytes();
  for (std::size_t i = 0; i < 16; ++i)
    EXPECT_EQ(static_cast<unsigned char>((*response)[28 + i]),
              static_cast<unsigned char>(address[i] ^ static_cast<unsigned char>(mask[i])))
        << i;
}

TEST(StunBinding, OptionalAttributesAreIgnored) {
  // SOFTWARE (0x8022) of 5 bytes, padded to 8; FINGERPRINT (0x8028).
  const std::string padded = bytes({0x80, 0x22, 0x00, 0x05}) + "ospre" + std::string(3, '\0');
  const std::string fingerprint = bytes({0x80, 0x28, 0x00, 0x04, 1, 2, 3, 4});
  EXPECT_TRUE(stun_binding_response(binding_request(padded + fingerprint), at("192.0.2.1", 1)));
}

TEST(StunBinding, MalformedOrOtherMessagesAreNotAnswered) {
  const Endpoint from = at("192.0.2.1", 5060);
  EXPECT_FALSE(stun_binding_response(binding_request().substr(0, 19), from));  // short header
  std::string wrong_length = binding_request();
  wrong_length[3] = 4;  // says 4 bytes of attributes, has none
  EXPECT_FALSE(stun_binding_response(wrong_length, from));
  EXPECT_FALSE(
      stun_binding_response(binding_request(bytes({0x80, 0x22, 0x00})), from));  // not a multiple of 4
  EXPECT_FALSE(stun_binding_response(binding_request(bytes({0x80, 0x22, 0x00, 0x08, 1, 2, 3, 4})), from));
  EXPECT_FALSE(stun_binding_response(binding_request({}, 0x0011), from));  // a Binding indication
  EXPECT_FALSE(stun_binding_response(binding_request({}, 0x0101), from));  // a response
  // A comprehension-required attribute osprey does not implement (USERNAME).
  EXPECT_FALSE(stun_binding_response(binding_request(bytes({0x00, 0x06, 0x00, 0x04}) + "user"), from));
  EXPECT_FALSE(stun_binding_response(binding_request(std::string(600, '\0')), from));  // oversized
}

}  // namespace
}  // namespace osprey::net
