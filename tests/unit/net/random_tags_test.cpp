#include "net/random_tags.hpp"

#include <gtest/gtest.h>

#include <set>

namespace osprey::net {
namespace {

bool all_lower_hex(const std::string& text) {
  return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(RandomTags, TagIsFifteenHexDigitsWithoutAllocating) {
  RandomTags tags;
  const std::string tag = tags.tag();
  EXPECT_EQ(tag.size(), RandomTags::kTagDigits);
  EXPECT_TRUE(all_lower_hex(tag));
  // RFC 3261 §19.3 asks for 32 bits at least.
  EXPECT_GE(RandomTags::kTagDigits * 4, 32u);
  // Fits the small-string buffer: a tag costs no allocation.
  EXPECT_LE(tag.size(), std::string().capacity());
}

TEST(RandomTags, TagsDoNotRepeat) {
  RandomTags tags;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(tags.tag()).second);
}

TEST(RandomTags, TwoGeneratorsDoNotShareASequence) {
  RandomTags a;
  RandomTags b;
  EXPECT_NE(a.tag(), b.tag());
}

TEST(RandomTags, HexHasTheAskedLengthAndUsesEveryDraw) {
  RandomTags tags(42);
  EXPECT_EQ(tags.hex(0), "");
  const std::string long_text = tags.hex(40);  // three 64-bit draws
  EXPECT_EQ(long_text.size(), 40u);
  EXPECT_TRUE(all_lower_hex(long_text));
  // Each 16-digit block comes from its own draw, so the blocks differ.
  EXPECT_NE(long_text.substr(0, 16), long_text.substr(16, 16));
}

TEST(RandomTags, ASeedGivesARepeatableSequence) {
  RandomTags a(7);
  RandomTags b(7);
  EXPECT_EQ(a.tag(), b.tag());
  EXPECT_EQ(a.hex(24), b.hex(24));
}

}  // namespace
}  // namespace osprey::net
