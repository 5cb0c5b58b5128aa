#include "txn/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace osprey::txn {
namespace {

using std::chrono::milliseconds;

TEST(TimerWheel, FiresAtTheFirstTickAfterTheDeadline) {
  TimePoint t0{};
  TimerWheel wheel(t0, milliseconds(10), 8);
  std::vector<std::uint64_t> fired;
  auto fire = [&](std::uint64_t cookie) { fired.push_back(cookie); };
  wheel.schedule(milliseconds(25), 1);
  wheel.schedule(milliseconds(500), 2);  // more than one turn of an 80 ms wheel
  wheel.advance(t0 + milliseconds(20), fire);
  EXPECT_TRUE(fired.empty());
  wheel.advance(t0 + milliseconds(30), fire);
  EXPECT_EQ(fired, std::vector<std::uint64_t>{1});
  wheel.advance(t0 + milliseconds(490), fire);
  EXPECT_EQ(fired.size(), 1u);
  wheel.advance(t0 + milliseconds(500), fire);
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(wheel.size(), 0u);
}

TEST(TimerWheel, CancelledTimersNeverFireAndStaleIdsAreRefused) {
  TimePoint t0{};
  TimerWheel wheel(t0);
  int fired = 0;
  auto id = wheel.schedule(milliseconds(100), 7);
  EXPECT_TRUE(wheel.cancel(id));
  EXPECT_FALSE(wheel.cancel(id));
  auto reused = wheel.schedule(milliseconds(100), 8);  // reuses the node
  EXPECT_FALSE(wheel.cancel(id));                      // the old id must not cancel the new timer
  wheel.advance(t0 + milliseconds(200), [&](std::uint64_t cookie) {
    EXPECT_EQ(cookie, 8u);
    ++fired;
  });
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(wheel.cancel(reused));
}

TEST(TimerWheel, FireMayScheduleAndCancel) {
  TimePoint t0{};
  TimerWheel wheel(t0, milliseconds(10), 16);
  std::vector<std::uint64_t> fired;
  TimerId victim = wheel.schedule(milliseconds(10), 99);
  wheel.schedule(milliseconds(10), 1);
  wheel.advance(t0 + milliseconds(10), [&](std::uint64_t cookie) {
    fired.push_back(cookie);
    if (cookie == 1) {
      wheel.cancel(victim);                // same tick: must not fire afterwards
      wheel.schedule(milliseconds(0), 2);  // rounds up to the next tick
    }
  });
  // Either 1 fired first and cancelled 99, or 99 fired first; never both 99 and a cancel success.
  bool ninety_nine = std::find(fired.begin(), fired.end(), 99u) != fired.end();
  EXPECT_EQ(wheel.size(), 1u);
  wheel.advance(t0 + milliseconds(20), [&](std::uint64_t cookie) { fired.push_back(cookie); });
  EXPECT_EQ(fired.back(), 2u);
  EXPECT_EQ(fired.size(), ninety_nine ? 3u : 2u);
}

TEST(TimerWheel, ManyTimersAllFireOnce) {
  TimePoint t0{};
  TimerWheel wheel(t0, milliseconds(1), 64);
  std::vector<int> count(1000, 0);
  for (int i = 0; i < 1000; ++i) wheel.schedule(milliseconds(i * 7 % 997), static_cast<std::uint64_t>(i));
  wheel.advance(t0 + milliseconds(1000), [&](std::uint64_t cookie) { ++count[cookie]; });
  for (int c : count) EXPECT_EQ(c, 1);
  EXPECT_EQ(wheel.size(), 0u);
}

}  // namespace
}  // namespace osprey::txn
