#include "security/hmac_sha256.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

std::string hex(const HmacSha256::Mac& mac) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (std::uint8_t byte : mac) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0xf]);
  }
  return text;
}

std::string mac_of(const std::vector<std::uint8_t>& key, std::initializer_list<std::string_view> parts) {
  const HmacSha256 hmac(key);
  HmacSha256::Mac mac{};
  EXPECT_TRUE(hmac.compute(parts, mac));
  return hex(mac);
}

// RFC 4231 §4.2, §4.3 and §4.7: a short key, a key shorter than the output, a key longer than
// the block (hashed first, RFC 2104 §2).
TEST(HmacSha256, Rfc4231TestVectors) {
  EXPECT_EQ(mac_of(std::vector<std::uint8_t>(20, 0x0b), {"Hi There"}),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(mac_of({'J', 'e', 'f', 'e'}, {"what do ya want for nothing?"}),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(mac_of(std::vector<std::uint8_t>(131, 0xaa),
                   {"Test Using Larger Than Block-Size Key - Hash Key First"}),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, PartsAreConcatenatedAndTheKeyedStateIsReusable) {
  const std::vector<std::uint8_t> key{'J', 'e', 'f', 'e'};
  const std::string whole = mac_of(key, {"what do ya want for nothing?"});
  EXPECT_EQ(mac_of(key, {"what do ", "", "ya want", " for nothing?"}), whole);
  const HmacSha256 hmac(key);
  HmacSha256::Mac first{}, second{};
  ASSERT_TRUE(hmac.compute({"a"}, first));
  ASSERT_TRUE(hmac.compute({"what do ya want for nothing?"}, second));
  EXPECT_EQ(hex(second), whole);  // the first MAC left the keyed states as they were
  EXPECT_NE(hex(first), whole);
}

}  // namespace
}  // namespace osprey::security
