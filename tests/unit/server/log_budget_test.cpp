#include "server/log_budget.hpp"

#include <gtest/gtest.h>

namespace osprey::server {
namespace {

using std::chrono::milliseconds;

TEST(LogBudget, AdmitsUpToTheRateThenCountsWhatItRefused) {
  LogBudget budget(3);
  const auto start = LogBudget::Clock::time_point{} + std::chrono::hours(1);
  std::uint64_t suppressed = 99;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(budget.admit(start + milliseconds(i), suppressed));
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(budget.admit(start + milliseconds(10), suppressed));
  // The next second: lines again, the first one saying how many were left out.
  ASSERT_TRUE(budget.admit(start + milliseconds(1001), suppressed));
  EXPECT_EQ(suppressed, 1000u);
  ASSERT_TRUE(budget.admit(start + milliseconds(1002), suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogBudget, AFloodWritesAFixedNumberOfLinesASecond) {
  LogBudget budget(10);
  const auto start = LogBudget::Clock::time_point{} + std::chrono::hours(1);
  std::uint64_t suppressed = 0;
  int written = 0;
  for (int i = 0; i < 100'000; ++i) {
    if (budget.admit(start + std::chrono::microseconds(i * 50), suppressed)) ++written;  // 5 s of flood
  }
  EXPECT_LE(written, 60);
  EXPECT_GE(written, 50);
}

}  // namespace
}  // namespace osprey::server
