#include "sip/scanner.hpp"

#include <gtest/gtest.h>

#include <string>

namespace osprey::sip {
namespace {

// take_until_any compares each byte with the stop set inline: it must stop at the first byte of
// the set wherever it is, include none of it, and take the rest when no stop byte follows.
TEST(Scanner, TakeUntilAnyStopsAtTheFirstStopByte) {
  Scanner s("sip:a@b.com;lr, next");
  EXPECT_EQ(s.take_until_any("; \t\r\n,"), "sip:a@b.com");
  EXPECT_EQ(s.peek(), ';');
  EXPECT_EQ(s.take_until_any(","), ";lr");
  EXPECT_EQ(s.take_until_any(">"), ", next");
  EXPECT_TRUE(s.at_end());
  EXPECT_EQ(s.take_until_any(">"), "");

  const std::string with_nul("ab\0cd", 5);
  Scanner nul(with_nul);
  EXPECT_EQ(nul.take_until_any(std::string_view("x\0", 2)), "ab");
  Scanner empty_set("abc");
  EXPECT_EQ(empty_set.take_until_any(""), "abc");
}

}  // namespace
}  // namespace osprey::sip
