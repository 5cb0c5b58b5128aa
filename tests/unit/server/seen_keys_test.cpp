#include "server/seen_keys.hpp"

#include <string>

#include <gtest/gtest.h>

namespace osprey::server {
namespace {

TEST(SeenKeys, AKeyIsNewOnlyOnce) {
  SeenKeys seen(8);
  EXPECT_TRUE(seen.first_time("call-1\na\nb"));
  EXPECT_FALSE(seen.first_time("call-1\na\nb"));
  EXPECT_FALSE(seen.first_time("call-1\na\nb"));
  EXPECT_TRUE(seen.first_time("call-1\na\nc"));
}

// Millions of distinct dialogs cost no more than `capacity` entries: the oldest are forgotten
// (and at worst logged once more).
TEST(SeenKeys, MemoryStaysWithinTheCapacityWhateverTheKeys) {
  SeenKeys seen(100);
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(seen.first_time("dialog-" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 100u);
  // The most recent are still remembered, the oldest are not.
  EXPECT_FALSE(seen.first_time("dialog-99999"));
  EXPECT_FALSE(seen.first_time("dialog-99900"));
  EXPECT_TRUE(seen.first_time("dialog-0"));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(SeenKeys, ZeroCapacityStillRemembersTheLastKey) {
  SeenKeys seen(0);
  EXPECT_EQ(seen.capacity(), 1u);
  EXPECT_TRUE(seen.first_time("a"));
  EXPECT_FALSE(seen.first_time("a"));
  EXPECT_TRUE(seen.first_time("b"));
  EXPECT_TRUE(seen.first_time("a"));
}

}  // namespace
}  // namespace osprey::server
