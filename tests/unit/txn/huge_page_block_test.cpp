#include "txn/huge_page_block.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace osprey::txn {
namespace {

TEST(HugePageBlockTest, ABigBlockIsHugePageAlignedZeroedAndWritable) {
  HugePageBlock block(HugePageBlock::kHugePage + 1);
  ASSERT_NE(block.data(), nullptr);
  EXPECT_EQ(block.size(), 2 * HugePageBlock::kHugePage);  // rounded up to whole huge pages
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block.data()) % HugePageBlock::kHugePage, 0u);
  EXPECT_EQ(block.data()[0], 0);
  EXPECT_EQ(block.data()[block.size() - 1], 0);
  block.data()[0] = 'a';
  block.data()[block.size() - 1] = 'z';
  EXPECT_EQ(block.data()[0], 'a');
  EXPECT_EQ(block.data()[block.size() - 1], 'z');
}

TEST(HugePageBlockTest, ASmallBlockIsWholePagesAndMovesItsOwnership) {
  HugePageBlock block(100);
  ASSERT_NE(block.data(), nullptr);
  EXPECT_GE(block.size(), 100u);
  EXPECT_LT(block.size(), HugePageBlock::kHugePage);
  block.data()[99] = 'x';
  char* const data = block.data();

  HugePageBlock moved(std::move(block));
  EXPECT_EQ(moved.data(), data);
  EXPECT_EQ(moved.data()[99], 'x');
  EXPECT_EQ(block.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(block.size(), 0u);

  HugePageBlock other(10);
  other = std::move(moved);  // the old mapping of `other` goes; it takes over `data`
  EXPECT_EQ(other.data(), data);
  EXPECT_EQ(other.data()[99], 'x');
}

}  // namespace
}  // namespace osprey::txn
