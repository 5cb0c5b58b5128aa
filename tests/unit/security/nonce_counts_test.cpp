#include "security/nonce_counts.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

TEST(NonceCounts, EachCountOnce) {
  NonceCounts counts;
  EXPECT_TRUE(counts.accept("n1", 1, kNow));
  EXPECT_FALSE(counts.accept("n1", 1, kNow));
  EXPECT_TRUE(counts.accept("n1", 2, kNow));
  EXPECT_TRUE(counts.accept("n1", 3, kNow + 1));
  EXPECT_FALSE(counts.accept("n1", 2, kNow + 1));
  EXPECT_FALSE(counts.accept("n1", 3, kNow + 1));
}

TEST(NonceCounts, ZeroIsNeverACount) {
  NonceCounts counts;
  EXPECT_FALSE(counts.accept("n1", 0, kNow));
  EXPECT_EQ(counts.size(), 0U);
  EXPECT_TRUE(counts.accept("n1", 5, kNow));
  EXPECT_FALSE(counts.accept("n1", 0, kNow));
}

TEST(NonceCounts, NoncesAreIndependent) {
  NonceCounts counts;
  EXPECT_TRUE(counts.accept("n1", 1, kNow));
  EXPECT_TRUE(counts.accept("n2", 1, kNow));
  EXPECT_FALSE(counts.accept("n2", 1, kNow));
  EXPECT_EQ(counts.size(), 2U);
}

TEST(NonceCounts, OutOfOrderWithinTheWindowAcceptedOnce) {
  NonceCounts counts;
  EXPECT_TRUE(counts.accept("n1", 10, kNow));
  EXPECT_TRUE(counts.accept("n1", 7, kNow));
  EXPECT_FALSE(counts.accept("n1", 7, kNow));
  EXPECT_TRUE(counts.accept("n1", 9, kNow));
  EXPECT_TRUE(counts.accept("n1", 1, kNow));
  EXPECT_FALSE(counts.accept("n1", 10, kNow));
  // Counts seen before the window slid stay seen after it.
  EXPECT_TRUE(counts.accept("n1", 12, kNow));
  EXPECT_FALSE(counts.accept("n1", 9, kNow));
  EXPECT_FALSE(counts.accept("n1", 7, kNow));
  EXPECT_TRUE(counts.accept("n1", 11, kNow));
  EXPECT_TRUE(counts.accept("n1", 8, kNow));
}

TEST(NonceCounts, WindowEdge) {
  NonceCounts counts;
  ASSERT_TRUE(counts.accept("n1", 100, kNow));
  EXPECT_TRUE(counts.accept("n1", 100 - (NonceCounts::kWindow - 1), kNow));   // 63 below: inside
  EXPECT_FALSE(counts.accept("n1", 100 - NonceCounts::kWindow, kNow));        // 64 below: outside
  EXPECT_FALSE(counts.accept("n1", 100 - (NonceCounts::kWindow - 1), kNow));  // and only once
}

TEST(NonceCounts, FarBelowTheWindowRefused) {
  NonceCounts counts;
  EXPECT_TRUE(counts.accept("n1", 1, kNow));
  EXPECT_TRUE(counts.accept("n1", 1000, kNow));
  EXPECT_TRUE(counts.accept("n1", 999, kNow));
  // 2 was never seen, but is too old to tell apart from a replay.
  EXPECT_FALSE(counts.accept("n1", 2, kNow));
  EXPECT_FALSE(counts.accept("n1", 1, kNow));
}

TEST(NonceCounts, LargeJumpClearsTheWindow) {
  NonceCounts counts;
  EXPECT_TRUE(counts.accept("n1", 5, kNow));
  EXPECT_TRUE(counts.accept("n1", 5 + 64, kNow));
  // 6 is 63 below 69 and was never seen.
  EXPECT_TRUE(counts.accept("n1", 6, kNow));
  EXPECT_FALSE(counts.accept("n1", 5, kNow));
  EXPECT_TRUE(counts.accept("n1", 0xffffffffU, kNow));
  EXPECT_FALSE(counts.accept("n1", 0xffffffffU, kNow));
}

TEST(NonceCounts, ExpireForgetsAfterRetention) {
  NonceCounts counts(10);
  ASSERT_TRUE(counts.accept("n1", 1, kNow));
  ASSERT_TRUE(counts.accept("n2", 1, kNow + 5));
  counts.expire(kNow + 10);
  EXPECT_EQ(counts.size(), 2U);  // kept for the whole retention
  EXPECT_FALSE(counts.accept("n1", 1, kNow + 10));
  counts.expire(kNow + 11);
  EXPECT_EQ(counts.size(), 1U);
  counts.expire(kNow + 16);
  EXPECT_EQ(counts.size(), 0U);
  // Forgotten: the nonce is new again (by now its NonceService calls it stale, so the
  // authenticator never gets this far with it).
  EXPECT_TRUE(counts.accept("n1", 1, kNow + 16));
}

TEST(NonceCounts, AcceptForgetsExpiredEntriesLazily) {
  NonceCounts counts(10);
  ASSERT_TRUE(counts.accept("n1", 1, kNow));
  ASSERT_EQ(counts.size(), 1U);
  // Without any expire() call, later traffic clears what has expired in the shards it touches.
  for (int i = 0; i < 1000; ++i) counts.accept("other-" + std::to_string(i), 1, kNow + 20);
  EXPECT_EQ(counts.size(), 1000U);
}

TEST(NonceCounts, FullTableRefusesNewNoncesNotLiveOnes) {
  NonceCounts counts(10, 3);
  EXPECT_TRUE(counts.accept("n1", 1, kNow));
  EXPECT_TRUE(counts.accept("n2", 1, kNow));
  EXPECT_TRUE(counts.accept("n3", 1, kNow));
  EXPECT_FALSE(counts.accept("n4", 1, kNow));
  EXPECT_EQ(counts.size(), 3U);
  // Nonces already tracked go on; their counts are still protected.
  EXPECT_TRUE(counts.accept("n1", 2, kNow));
  EXPECT_FALSE(counts.accept("n2", 1, kNow));
  // Room again once entries expire.
  counts.expire(kNow + 11);
  EXPECT_EQ(counts.size(), 0U);
  EXPECT_TRUE(counts.accept("n4", 1, kNow + 11));
}

TEST(NonceCounts, ConcurrentCallersNeverAcceptACountTwice) {
  NonceCounts counts;
  constexpr std::uint32_t kCounts = 2000;
  std::vector<std::atomic<int>> accepted(kCounts + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (std::uint32_t nc = 1; nc <= kCounts; ++nc) {
        if (counts.accept("shared", nc, kNow)) accepted[nc].fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::uint32_t nc = 1; nc <= kCounts; ++nc) EXPECT_LE(accepted[nc].load(), 1) << "nc " << nc;
  // The thread that got there first saw every count in order.
  EXPECT_EQ(accepted[kCounts].load(), 1);
}

TEST(NonceCounts, ConcurrentDistinctNoncesAllKept) {
  NonceCounts counts;
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (!counts.accept("t" + std::to_string(t) + "-" + std::to_string(i), 1, kNow)) refused.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(counts.size(), 2000U);
}

}  // namespace
}  // namespace osprey::security
