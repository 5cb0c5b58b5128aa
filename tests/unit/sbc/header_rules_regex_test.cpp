// The regular-expression helpers of header rules: search with groups, $N expansion and a global
// replace with sed's semantics, each bounded.
#include "header_rules_test_support.hpp"

namespace osprey::sbc {
namespace {

std::string replaced(std::string_view pattern, std::string_view text, std::string_view rewrite,
                     std::size_t max_size = 1000) {
  auto result = replace_all(*test::regex(pattern), text, rewrite, max_size);
  return result ? *result : "error: " + result.error();
}

TEST(HeaderRulesRegexTest, ReplaceAllFollowsSed) {
  EXPECT_EQ(replaced("a*", "baaac", "-"), "-b-c-");  // sed 's/a*/-/g'
  EXPECT_EQ(replaced("^a", "aaa", "x"), "xaa");      // ^ is the start of the text, not of the search
  EXPECT_EQ(replaced("(?m)^a", "ab\nab", "x"), "xb\nxb");
  EXPECT_EQ(replaced("(\\d+)-(\\d+)", "1-2 34-56", "$2-$1"), "2-1 56-34");
  EXPECT_EQ(replaced("z", "abc", "y"), "abc");
  EXPECT_EQ(replaced("b", "abc", ""), "ac");
}

TEST(HeaderRulesRegexTest, ReplaceAllStopsAtTheBound) {
  EXPECT_EQ(replaced("a", std::string(100, 'a'), "bb", 150).substr(0, 6), "error:");
  EXPECT_EQ(replaced("a", std::string(100, 'a'), "bb", 200), std::string(200, 'b'));
}

TEST(HeaderRulesRegexTest, ExpandWritesGroupsAndDollars) {
  std::vector<std::string_view> groups{"44", "2071234567"};
  EXPECT_EQ(*expand("+$1$2 $$ $3", groups, 100), "+442071234567 $ ");
  EXPECT_FALSE(expand("$1$1$1", groups, 5));
}

TEST(HeaderRulesRegexTest, CheckRewriteNamesTheProblem) {
  EXPECT_EQ(check_rewrite("+44$1", 1), "");
  EXPECT_EQ(check_rewrite("cost: $$5", 0), "");
  EXPECT_NE(check_rewrite("$2", 1), "");
  EXPECT_NE(check_rewrite("$x", 9), "");
  EXPECT_NE(check_rewrite("5$", 9), "");
}

TEST(HeaderRulesRegexTest, SearchReportsGroupsThatTookNoPartAsEmpty) {
  std::vector<std::string_view> groups;
  ASSERT_TRUE(search(*test::regex("^(\\+)?(\\d+)$"), "0207", groups));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], "");
  EXPECT_EQ(groups[1], "0207");
}

}  // namespace
}  // namespace osprey::sbc
