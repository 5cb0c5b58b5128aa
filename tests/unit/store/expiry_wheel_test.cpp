#include "store/expiry_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "store_test_support.hpp"

namespace osprey::store {
namespace {

using testing::make_binding;

constexpr std::int64_t kNow = 1'700'000'000;

PackedAor packed(const std::string& aor, std::int64_t expires_at) {
  return PackedAor::encode(aor, std::vector<store::Binding>{make_binding(aor, "sip:contact", expires_at)});
}

std::vector<std::string> sweep(ExpiryWheel& wheel, std::int64_t now) {
  std::vector<std::string> due;
  wheel.sweep(now, due);
  std::sort(due.begin(), due.end());
  return due;
}

TEST(ExpiryWheel, ReportsEachAorInTheSecondItsEarliestBindingExpires) {
  ExpiryWheel wheel(16);
  const PackedAor a = packed("sip:a@x", kNow + 3);
  const PackedAor b = packed("sip:b@x", kNow + 5);
  const PackedAor c = packed("sip:c@x", kNow + 5);
  wheel.insert(a);
  wheel.insert(b);
  wheel.insert(c);
  EXPECT_TRUE(sweep(wheel, kNow).empty());
  EXPECT_TRUE(sweep(wheel, kNow + 2).empty());
  EXPECT_EQ(sweep(wheel, kNow + 3), std::vector<std::string>{"sip:a@x"});
  // Not taken out by the sweep: the caller replaces the block; left as is, it is not seen again
  // until the wheel comes round.
  EXPECT_TRUE(sweep(wheel, kNow + 4).empty());
  EXPECT_EQ(sweep(wheel, kNow + 6), (std::vector<std::string>{"sip:b@x", "sip:c@x"}));
}

TEST(ExpiryWheel, AnExpiryBeyondTheSpanWaitsForItsTurn) {
  ExpiryWheel wheel(16);
  const PackedAor far = packed("sip:far@x", kNow + 40);  // two and a half turns away
  wheel.insert(far);
  EXPECT_TRUE(sweep(wheel, kNow).empty());
  for (std::int64_t second = kNow + 1; second < kNow + 40; ++second) {
    EXPECT_TRUE(sweep(wheel, second).empty()) << second - kNow;
  }
  EXPECT_EQ(sweep(wheel, kNow + 40), std::vector<std::string>{"sip:far@x"});
}

TEST(ExpiryWheel, AnExpiryAlreadySweptGoesToTheNextSecond) {
  ExpiryWheel wheel(16);
  EXPECT_TRUE(sweep(wheel, kNow + 10).empty());
  const PackedAor late = packed("sip:late@x", kNow + 7);  // e.g. written with an older clock
  wheel.insert(late);
  EXPECT_EQ(sweep(wheel, kNow + 11), std::vector<std::string>{"sip:late@x"});
}

TEST(ExpiryWheel, ALongPauseLooksAtEverySlotOnce) {
  ExpiryWheel wheel(16);
  EXPECT_TRUE(sweep(wheel, kNow).empty());
  std::vector<PackedAor> blocks;
  for (int i = 1; i <= 40; ++i) blocks.push_back(packed("sip:u" + std::to_string(i) + "@x", kNow + i));
  for (const PackedAor& block : blocks) wheel.insert(block);
  // 100 s later (more than a turn): every one of them is due, each reported once.
  EXPECT_EQ(sweep(wheel, kNow + 100).size(), 40u);
}

TEST(ExpiryWheel, AClockSteppedBackStillFindsWhatExpires) {
  ExpiryWheel wheel(16);
  EXPECT_TRUE(sweep(wheel, kNow + 10).empty());
  // The clock goes back 8 s; a binding registered then expires at what is now +5.
  const PackedAor early = packed("sip:early@x", kNow + 5);
  wheel.insert(early);
  EXPECT_TRUE(sweep(wheel, kNow + 2).empty());
  EXPECT_TRUE(sweep(wheel, kNow + 4).empty());
  EXPECT_EQ(sweep(wheel, kNow + 5), std::vector<std::string>{"sip:early@x"});
}

TEST(ExpiryWheel, AFreedOrReplacedBlockLeavesItsSlot) {
  ExpiryWheel wheel(16);
  std::optional<PackedAor> gone = packed("sip:gone@x", kNow + 2);
  PackedAor kept = packed("sip:kept@x", kNow + 2);
  PackedAor replaced = packed("sip:replaced@x", kNow + 2);
  wheel.insert(*gone);
  wheel.insert(kept);
  wheel.insert(replaced);
  gone.reset();
  replaced = packed("sip:replaced@x", kNow + 9);  // not inserted again: out of the wheel
  EXPECT_EQ(sweep(wheel, kNow + 2), std::vector<std::string>{"sip:kept@x"});
  EXPECT_TRUE(sweep(wheel, kNow + 9).empty());
  wheel.insert(replaced);
  EXPECT_TRUE(sweep(wheel, kNow + 9).empty());  // already swept: nothing more to do at +9
  EXPECT_EQ(sweep(wheel, kNow + 10), std::vector<std::string>{"sip:replaced@x"});
}

TEST(ExpiryWheel, AMovedBlockStaysLinked) {
  ExpiryWheel wheel(16);
  PackedAor first = packed("sip:moved@x", kNow + 4);
  wheel.insert(first);
  const PackedAor second = std::move(first);
  EXPECT_EQ(sweep(wheel, kNow + 4), std::vector<std::string>{"sip:moved@x"});
}

}  // namespace
}  // namespace osprey::store
