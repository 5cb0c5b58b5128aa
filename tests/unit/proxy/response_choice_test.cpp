#include "proxy/response_choice.hpp"

#include <gtest/gtest.h>

namespace osprey::proxy {
namespace {

// RFC 3261 §16.7 step 6.
TEST(BetterResponse, AnythingBeatsNothing) { EXPECT_TRUE(better_response(500, 0)); }

TEST(BetterResponse, SixHundredsWinThenTheLowestClass) {
  EXPECT_TRUE(better_response(603, 404));
  EXPECT_FALSE(better_response(404, 603));
  EXPECT_TRUE(better_response(404, 500));
  EXPECT_TRUE(better_response(302, 404));
  EXPECT_FALSE(better_response(503, 486));
}

TEST(BetterResponse, ChallengesAndFixableErrorsFirstWithin4xx) {
  EXPECT_TRUE(better_response(407, 404));
  EXPECT_TRUE(better_response(401, 486));
  EXPECT_FALSE(better_response(404, 401));
}

TEST(BetterResponse, EarlierWinsATie) { EXPECT_FALSE(better_response(486, 404)); }

}  // namespace
}  // namespace osprey::proxy
