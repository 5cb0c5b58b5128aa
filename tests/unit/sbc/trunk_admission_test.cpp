#include "sbc/trunk_admission.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::sbc {
namespace {

using Clock = TrunkAdmission::Clock;
using std::chrono::milliseconds;

const Clock::time_point kStart = Clock::time_point() + std::chrono::hours(1);

TEST(TrunkAdmission, ConcurrentCallsAreCappedAndASlotComesBackOnRelease) {
  TrunkAdmission admission(TrunkLimits{0, 2}, kStart);
  auto first = admission.try_admit(kStart);
  auto second = admission.try_admit(kStart);
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  auto third = admission.try_admit(kStart);
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().limit, TrunkAdmission::Limit::concurrent_calls);
  EXPECT_EQ(third.error().retry_after_seconds, TrunkAdmission::kConcurrentRetryAfterSeconds);
  first->release();
  EXPECT_EQ(admission.active_calls(), 1u);
  EXPECT_TRUE(admission.try_admit(kStart));  // admitted, and released at once (temporary)
  EXPECT_EQ(admission.active_calls(), 1u);
}

TEST(TrunkAdmission, ASlotIsReturnedExactlyOnce) {
  TrunkAdmission admission(TrunkLimits{0, 3}, kStart);
  auto kept = admission.try_admit(kStart);
  ASSERT_TRUE(kept);
  {
    auto ticket = admission.try_admit(kStart);
    ASSERT_TRUE(ticket);
    TrunkAdmission::Ticket moved = std::move(*ticket);
    EXPECT_FALSE(ticket->holds_slot());
    moved.release();
    moved.release();  // a second end path (BYE after a timeout) returns nothing more
    EXPECT_EQ(admission.active_calls(), 1u);
  }  // destructors of the moved-from and released tickets return nothing either
  EXPECT_EQ(admission.active_calls(), 1u);
  TrunkAdmission::Ticket assigned = std::move(*admission.try_admit(kStart));
  EXPECT_EQ(admission.active_calls(), 2u);
  assigned = std::move(*kept);  // assignment returns the slot it held
  EXPECT_EQ(admission.active_calls(), 1u);
}

TEST(TrunkAdmission, CallsPerSecondIsATokenBucketWithOneSecondOfBurst) {
  TrunkAdmission admission(TrunkLimits{10, 0}, kStart);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(admission.try_admit(kStart)) << i;
  auto refused = admission.try_admit(kStart);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().limit, TrunkAdmission::Limit::calls_per_second);
  EXPECT_EQ(refused.error().retry_after_seconds, 1u);
  // 100 ms later one token has come back, and only one.
  EXPECT_TRUE(admission.try_admit(kStart + milliseconds(100)));
  EXPECT_FALSE(admission.try_admit(kStart + milliseconds(100)));
  // A long quiet period refills one second's worth, not more.
  int admitted = 0;
  while (admission.try_admit(kStart + std::chrono::minutes(5)) && admitted < 100) ++admitted;
  EXPECT_EQ(admitted, 10);
}

TEST(TrunkAdmission, ASlowRateAdmitsOneCallThenSaysWhenTheNextIsDue) {
  TrunkAdmission admission(TrunkLimits{0.25, 0}, kStart);
  ASSERT_TRUE(admission.try_admit(kStart));
  auto refused = admission.try_admit(kStart + std::chrono::seconds(1));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().retry_after_seconds, 3u);
  EXPECT_TRUE(admission.try_admit(kStart + std::chrono::seconds(4)));
}

TEST(TrunkAdmission, ARefusalForConcurrencySpendsNoToken) {
  TrunkAdmission admission(TrunkLimits{1, 1}, kStart);
  auto held = admission.try_admit(kStart);
  ASSERT_TRUE(held);
  const auto later = kStart + std::chrono::seconds(2);
  EXPECT_FALSE(admission.try_admit(later));
  held->release();
  EXPECT_TRUE(admission.try_admit(later));
}

TEST(TrunkAdmission, ZeroMeansUnlimitedAndATicketOutlivesItsAdmission) {
  TrunkAdmission::Ticket survivor;
  {
    TrunkAdmission admission(TrunkLimits{0, 0}, kStart);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(admission.try_admit(kStart));
    survivor = std::move(*admission.try_admit(kStart));
  }  // a reload replaced the trunk's admission while the call was up
  EXPECT_TRUE(survivor.holds_slot());
  survivor.release();
  EXPECT_FALSE(survivor.holds_slot());
}

TEST(TrunkAdmission, ManyWorkersNeverExceedTheConcurrentLimit) {
  constexpr std::uint32_t kLimit = 8;
  TrunkAdmission admission(TrunkLimits{0, kLimit}, kStart);
  std::atomic<int> up{0};
  std::atomic<int> highest{0};
  std::atomic<int> admitted{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        auto ticket = admission.try_admit(kStart);
        if (!ticket) continue;
        ++admitted;
        const int now_up = ++up;
        int seen = highest.load();
        while (now_up > seen && !highest.compare_exchange_weak(seen, now_up)) {
        }
        --up;
      }  // each ticket released by its destructor
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_LE(highest.load(), static_cast<int>(kLimit));
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(admission.active_calls(), 0u);  // every slot came back exactly once
}

TEST(TrunkAdmission, ManyWorkersShareOneTokenBucket) {
  TrunkAdmission admission(TrunkLimits{50, 0}, kStart);
  std::atomic<int> admitted{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (admission.try_admit(kStart)) ++admitted;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(admitted.load(), 50);  // the burst, not one per worker
}

TEST(TrunkAdmissions, ByTrunkName) {
  Trunk carrier;
  carrier.name = "carrier";
  carrier.limits.max_calls = 1;
  TrunkAdmissions admissions({carrier}, kStart);
  ASSERT_NE(admissions.of("carrier"), nullptr);
  EXPECT_EQ(admissions.of("carrier")->limits().max_calls, 1u);
  EXPECT_EQ(admissions.of("other"), nullptr);
}

TEST(TrunkAdmissions, AReloadKeepsASurvivingTrunksCallsCountedUnderItsNewLimits) {
  Trunk carrier;
  carrier.name = "carrier";
  carrier.limits.max_calls = 2;
  TrunkAdmissions before({carrier}, kStart);
  auto first = before.of("carrier")->try_admit(kStart);
  auto second = before.of("carrier")->try_admit(kStart);
  ASSERT_TRUE(first && second);
  // The reloaded configuration lowers the limit and adds a trunk.
  carrier.limits.max_calls = 1;
  Trunk added;
  added.name = "added";
  added.limits.max_calls = 1;
  TrunkAdmissions after({carrier, added}, kStart, &before);
  // The two calls in progress still count: a reload never resets the count to 0.
  EXPECT_EQ(after.of("carrier")->active_calls(), 2u);
  EXPECT_FALSE(after.of("carrier")->try_admit(kStart));
  first->release();
  second->release();
  EXPECT_EQ(after.of("carrier")->active_calls(), 0u);
  auto third = after.of("carrier")->try_admit(kStart);
  ASSERT_TRUE(third);
  EXPECT_FALSE(after.of("carrier")->try_admit(kStart));  // the new limit, 1
  // The added trunk has its limits from its first call.
  auto fourth = after.of("added")->try_admit(kStart);
  ASSERT_TRUE(fourth);
  EXPECT_FALSE(after.of("added")->try_admit(kStart));
}

TEST(TrunkAdmissions, AReloadCarriesTheSpentTokensOver) {
  Trunk carrier;
  carrier.name = "carrier";
  carrier.limits.calls_per_second = 1;
  TrunkAdmissions before({carrier}, kStart);
  ASSERT_TRUE(before.of("carrier")->try_admit(kStart));
  TrunkAdmissions after({carrier}, kStart, &before);
  // The bucket was spent a moment ago: a reload does not refill it.
  EXPECT_FALSE(after.of("carrier")->try_admit(kStart + milliseconds(10)));
}

}  // namespace
}  // namespace osprey::sbc
