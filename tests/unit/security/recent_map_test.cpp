#include "security/recent_map.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace osprey::security {
namespace {

using Map = RecentMap<std::string, int, std::hash<std::string>>;

std::vector<std::string> keys_most_recent_first(const Map& map) {
  std::vector<std::string> keys;
  map.for_each([&](const std::string& key, int) { keys.push_back(key); });
  return keys;
}

TEST(RecentMap, ForgetsTheLeastRecentlyTouchedWhenFull) {
  Map map(2, std::hash<std::string>{});
  map.touch("a") = 1;
  map.touch("b") = 2;
  map.touch("a");      // a is now the most recent
  map.touch("c") = 3;  // full: b goes, not a
  EXPECT_EQ(map.size(), 2u);
  EXPECT_TRUE(map.contains("a"));
  EXPECT_FALSE(map.contains("b"));
  ASSERT_NE(map.find("c"), nullptr);
  EXPECT_EQ(*map.find("c"), 3);
  EXPECT_EQ(keys_most_recent_first(map), (std::vector<std::string>{"c", "a"}));
}

TEST(RecentMap, FindDoesNotReorder) {
  Map map(2, std::hash<std::string>{});
  map.touch("a") = 1;
  map.touch("b") = 2;
  ASSERT_NE(map.find("a"), nullptr);  // a reader: a stays the least recent
  map.touch("c");
  EXPECT_FALSE(map.contains("a"));
  EXPECT_TRUE(map.contains("b"));
}

TEST(RecentMap, TouchCreatesFromTheFreshValueOnlyWhenAbsent) {
  Map map(4, std::hash<std::string>{});
  EXPECT_EQ(map.touch("a", 7), 7);
  EXPECT_EQ(map.touch("a", 9), 7);
}

TEST(RecentMap, EraseAndEraseIf) {
  Map map(4, std::hash<std::string>{});
  for (int i = 0; i < 4; ++i) map.touch(std::to_string(i)) = i;
  EXPECT_TRUE(map.erase("0"));
  EXPECT_FALSE(map.erase("0"));
  map.erase_if([](const std::string&, int value) { return value % 2 == 1; });
  EXPECT_EQ(keys_most_recent_first(map), (std::vector<std::string>{"2"}));
  EXPECT_EQ(map.find("1"), nullptr);
}

TEST(RecentMap, ACapacityOfZeroStillHoldsOne) {
  Map map(0, std::hash<std::string>{});
  map.touch("a") = 1;
  EXPECT_EQ(map.size(), 1u);
  map.touch("b") = 2;
  EXPECT_EQ(map.size(), 1u);
  EXPECT_TRUE(map.contains("b"));
}

}  // namespace
}  // namespace osprey::security
