#include "store/aor_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "store_test_support.hpp"

namespace osprey::store {
namespace {

using testing::make_binding;

PackedAor block_for(const std::string& aor) {
  const std::vector<store::Binding> bindings{make_binding(aor, "sip:" + aor.substr(4) + ":5060", 3600, 1)};
  return PackedAor::encode(aor, bindings);
}

std::string aor_name(int i) { return "sip:user" + std::to_string(i) + "@example.com"; }

TEST(AorTable, FindsWhatItHoldsAndNothingElse) {
  AorTable table;
  EXPECT_EQ(table.find("sip:nobody@example.com", 1), AorTable::npos);  // empty table
  for (int i = 0; i < 100; ++i) {
    const std::string aor = aor_name(i);
    const std::size_t slot = table.insert(static_cast<std::uint64_t>(i) * 7919, block_for(aor));
    EXPECT_EQ(table.at(slot).aor(), aor);
  }
  EXPECT_EQ(table.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    const std::size_t slot = table.find(aor_name(i), static_cast<std::uint64_t>(i) * 7919);
    ASSERT_NE(slot, AorTable::npos) << i;
    EXPECT_EQ(table.at(slot).aor(), aor_name(i));
  }
  EXPECT_EQ(table.find(aor_name(100), 100 * 7919), AorTable::npos);
  // The right hash but another name: the hash alone does not make a match.
  EXPECT_EQ(table.find("sip:other@example.com", 5 * 7919), AorTable::npos);
}

TEST(AorTable, AgreesWithAMapThroughInsertsAndErasesThatCollideAndWrapAround) {
  // Few distinct hashes, and the highest ones land in the last slots: long probe runs that wrap
  // past the end, which backward-shift deletion must keep reachable.
  std::mt19937_64 random(42);
  AorTable table;
  std::map<std::string, std::uint64_t> expected;  // aor -> hash
  for (int round = 0; round < 4000; ++round) {
    const int i = static_cast<int>(random() % 300);
    const std::string aor = aor_name(i);
    const std::uint64_t hash = (random() % 2 == 0) ? ~std::uint64_t{0} - static_cast<std::uint64_t>(i % 3)
                                                   : static_cast<std::uint64_t>(i % 5);
    const auto known = expected.find(aor);
    if (known == expected.end()) {
      ASSERT_EQ(table.find(aor, hash), AorTable::npos);
      table.insert(hash, block_for(aor));
      expected.emplace(aor, hash);
    } else {
      const std::size_t slot = table.find(aor, known->second);
      ASSERT_NE(slot, AorTable::npos) << aor;
      table.erase(slot);
      expected.erase(known);
    }
    ASSERT_EQ(table.size(), expected.size());
  }
  for (const auto& [aor, hash] : expected) {
    const std::size_t slot = table.find(aor, hash);
    ASSERT_NE(slot, AorTable::npos) << aor;
    EXPECT_EQ(table.at(slot).aor(), aor);
  }
}

TEST(AorTable, GrowsAndShrinksKeepingEveryBlock) {
  AorTable table;
  for (int i = 0; i < 5000; ++i)
    table.insert(static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL, block_for(aor_name(i)));
  for (int i = 0; i < 4990; ++i)
    table.erase(table.find(aor_name(i), static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL));
  EXPECT_EQ(table.size(), 10u);
  for (int i = 4990; i < 5000; ++i) {
    const std::size_t slot = table.find(aor_name(i), static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL);
    ASSERT_NE(slot, AorTable::npos) << i;
    EXPECT_EQ(table.at(slot).aor(), aor_name(i));
  }
}

TEST(AorTable, ReplacingABlockInItsSlotKeepsItFindable) {
  AorTable table;
  const std::string aor = "sip:alice@example.com";
  table.insert(77, block_for(aor));
  const std::vector<store::Binding> two{make_binding(aor, "sip:alice@192.0.2.1", 60, 1),
                                        make_binding(aor, "sip:alice@192.0.2.2", 60, 1)};
  table.at(table.find(aor, 77)) = PackedAor::encode(aor, two);
  EXPECT_EQ(table.at(table.find(aor, 77)).size(), 2u);
  EXPECT_EQ(table.size(), 1u);
}

}  // namespace
}  // namespace osprey::store
