#include "sip/char_class.hpp"

#include <gtest/gtest.h>

namespace osprey::sip {
namespace {

// Only ASCII letters change: digits, punctuation, bytes above 0x7f and the characters between
// 'Z' and 'a' ('[', '_'...) stay as they are (subtracting 'A' from them would not).
TEST(CharClass, ToAsciiLowerChangesOnlyLetters) {
  EXPECT_EQ(to_ascii_lower("UDP"), "udp");
  EXPECT_EQ(to_ascii_lower("Example.COM:5060;Transport=TLS"), "example.com:5060;transport=tls");
  EXPECT_EQ(to_ascii_lower("[::1]_@^`{}~0-9"), "[::1]_@^`{}~0-9");
  EXPECT_EQ(to_ascii_lower("\xc3\x84rger"), "\xc3\x84rger");
  EXPECT_EQ(to_ascii_lower(""), "");
}

TEST(CharClass, IequalsComparesAsciiLettersWithoutCase) {
  EXPECT_TRUE(iequals("Content-Type", "content-TYPE"));
  EXPECT_FALSE(iequals("[", "{"));  // 0x5b and 0x7b differ by 32 but are not letters
  EXPECT_FALSE(iequals("abc", "abcd"));
}

}  // namespace
}  // namespace osprey::sip
