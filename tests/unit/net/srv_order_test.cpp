// RFC 2782 "Usage rules": priority first, then a weighted random pick within a priority,
// with a fixed random source so every order is known.
#include "net/srv_order.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace osprey::net {
namespace {

SrvRecord srv(std::uint16_t priority, std::uint16_t weight, std::string target) {
  return {priority, weight, 5060, std::move(target)};
}

std::vector<std::string> targets_of(const std::vector<SrvRecord>& records) {
  std::vector<std::string> targets;
  for (const SrvRecord& record : records) targets.push_back(record.target);
  return targets;
}

// Gives the listed numbers in turn, and records each upper bound it was asked for.
struct ScriptedPick {
  std::deque<std::uint32_t> numbers;
  std::vector<std::uint32_t> uppers;
  UniformPick function() {
    return [this](std::uint32_t upper) {
      uppers.push_back(upper);
      const std::uint32_t number = numbers.empty() ? 0 : numbers.front();
      if (!numbers.empty()) numbers.pop_front();
      return number;
    };
  }
};

TEST(SrvOrder, LowerPriorityComesFirstWhateverTheWeights) {
  ScriptedPick pick;
  const auto ordered = order_srv_records(
      {srv(20, 100, "c"), srv(10, 0, "a"), srv(20, 1, "d"), srv(15, 5, "b")}, pick.function());
  EXPECT_EQ(targets_of(ordered), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(SrvOrder, TheRunningSumPicksWithinAPriority) {
  // Weights 10, 30, 60: running sums 10, 40, 100. A pick of 41 selects the third (60).
  ScriptedPick pick{{41, 11}, {}};
  const auto ordered =
      order_srv_records({srv(1, 10, "a"), srv(1, 30, "b"), srv(1, 60, "c")}, pick.function());
  EXPECT_EQ(targets_of(ordered), (std::vector<std::string>{"c", "b", "a"}));
  // "between 0 and the sum computed (inclusive)": 100, then 40 once c is taken out.
  EXPECT_EQ(pick.uppers, (std::vector<std::uint32_t>{100, 40}));
}

TEST(SrvOrder, WeightZeroIsPickedOnlyByAZero) {
  // Weight-0 records go to the front of the list: only the number 0 lands on them.
  ScriptedPick low{{0}, {}};
  EXPECT_EQ(targets_of(order_srv_records({srv(1, 50, "heavy"), srv(1, 0, "zero")}, low.function())),
            (std::vector<std::string>{"zero", "heavy"}));
  ScriptedPick high{{1}, {}};
  EXPECT_EQ(targets_of(order_srv_records({srv(1, 50, "heavy"), srv(1, 0, "zero")}, high.function())),
            (std::vector<std::string>{"heavy", "zero"}));
  // All weights zero: no random number is needed, the order is kept.
  ScriptedPick none;
  EXPECT_EQ(targets_of(order_srv_records({srv(1, 0, "x"), srv(1, 0, "y")}, none.function())),
            (std::vector<std::string>{"x", "y"}));
}

TEST(SrvOrder, ARandomSourceOutOfRangeCannotOverrun) {
  const UniformPick broken = [](std::uint32_t) { return 0xFFFFFFFFU; };
  EXPECT_EQ(order_srv_records({srv(1, 1, "a"), srv(1, 2, "b")}, broken).size(), 2u);
}

TEST(SrvOrder, DotMeansTheServiceIsNotThere) {
  ScriptedPick pick;
  EXPECT_TRUE(service_refused({srv(0, 0, ".")}));
  EXPECT_FALSE(service_refused({}));
  EXPECT_FALSE(service_refused({srv(0, 0, "."), srv(1, 0, "a")}));
  EXPECT_EQ(targets_of(order_srv_records({srv(0, 0, "."), srv(1, 0, "a")}, pick.function())),
            (std::vector<std::string>{"a"}));
}

}  // namespace
}  // namespace osprey::net
