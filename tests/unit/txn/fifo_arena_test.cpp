#include "txn/fifo_arena.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <string_view>
#include <utility>

namespace osprey::txn {
namespace {

std::string_view view(const char* at, std::size_t size) { return {at, size}; }

TEST(FifoArenaTest, KeepsEveryAppendIntactAcrossChunks) {
  FifoArena arena(64);
  std::deque<std::pair<const char*, std::string>> kept;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const std::string value(static_cast<std::size_t>(i % 30), static_cast<char>('a' + i % 26));
    kept.emplace_back(arena.append(key, value), key + value);
  }
  EXPECT_GT(arena.chunk_count(), 10u);  // 64-byte chunks: the appends spread over many
  for (const auto& [at, expected] : kept) EXPECT_EQ(view(at, expected.size()), expected);

  // Releasing the older half leaves the newer half untouched.
  for (int i = 0; i < 50; ++i) {
    arena.release_oldest();
    kept.pop_front();
  }
  for (const auto& [at, expected] : kept) EXPECT_EQ(view(at, expected.size()), expected);
}

TEST(FifoArenaTest, AnAppendLargerThanAChunkGetsOneOfItsOwn) {
  FifoArena arena(16);
  const std::string big(100, 'b');
  const char* small = arena.append("s", "");
  const char* large = arena.append(big, "!");
  EXPECT_EQ(view(small, 1), "s");
  EXPECT_EQ(view(large, 101), big + "!");
  EXPECT_EQ(arena.chunk_count(), 2u);
  arena.release_oldest();
  EXPECT_EQ(arena.chunk_count(), 1u);  // the first chunk emptied and went
  arena.release_oldest();
  EXPECT_EQ(arena.chunk_count(), 1u);  // the last one stays, started over
  EXPECT_EQ(view(arena.append("again", ""), 5), "again");
}

TEST(FifoArenaTest, ASteadyQueueReusesItsChunksInsteadOfAllocating) {
  // As CompletedResponses uses it: a window of live appends sliding forward.
  FifoArena arena(256);
  constexpr int kWindow = 40;
  for (int i = 0; i < kWindow; ++i) arena.append("0123456789", "abcdefghij");
  const std::size_t warmed_up = arena.chunks_allocated() + FifoArena::kSpareChunks;
  for (int i = 0; i < 10000; ++i) {
    arena.release_oldest();
    arena.append("0123456789", "abcdefghij");
  }
  EXPECT_LE(arena.chunks_allocated(), warmed_up);
  // Emptied, it keeps one chunk and at most kSpareChunks spares, not the whole burst.
  for (int i = 0; i < kWindow; ++i) arena.release_oldest();
  EXPECT_EQ(arena.chunk_count(), 1u);
}

}  // namespace
}  // namespace osprey::txn
