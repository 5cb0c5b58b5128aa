#include "txn/fifo_arena.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <utility>

namespace osprey::txn {
namespace {

// Appends `text` as one record and returns where it went.
char* put(FifoArena& arena, std::string_view text) {
  char* at = arena.append(text.size());
  std::memcpy(at, text.data(), text.size());
  return at;
}

bool aligned(const char* at) { return reinterpret_cast<std::uintptr_t>(at) % FifoArena::kAlignment == 0; }

TEST(FifoArenaTest, KeepsEveryRecordIntactAndInOrderAcrossChunks) {
  FifoArena arena(64);
  std::deque<std::pair<char*, std::string>> kept;
  for (int i = 0; i < 100; ++i) {
    const std::string text = "key-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 30), 'x');
    kept.emplace_back(put(arena, text), text);
    EXPECT_TRUE(aligned(kept.back().first));
  }
  EXPECT_GT(arena.chunk_count(), 10u);  // 64-byte chunks: the records spread over many
  for (const auto& [at, expected] : kept) EXPECT_EQ(std::string_view(at, expected.size()), expected);

  // oldest() walks the records in the order they came; releasing half leaves the rest untouched.
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(arena.oldest(), kept.front().first);
    arena.release_oldest(kept.front().second.size());
    kept.pop_front();
  }
  for (const auto& [at, expected] : kept) EXPECT_EQ(std::string_view(at, expected.size()), expected);
  EXPECT_EQ(arena.oldest(), kept.front().first);
}

TEST(FifoArenaTest, OldestIsNullOnceEverythingIsReleased) {
  FifoArena arena(64);
  EXPECT_EQ(arena.oldest(), nullptr);
  put(arena, "one");
  put(arena, "two");
  arena.release_oldest(3);
  ASSERT_NE(arena.oldest(), nullptr);
  EXPECT_EQ(std::string_view(arena.oldest(), 3), "two");
  arena.release_oldest(3);
  EXPECT_EQ(arena.oldest(), nullptr);
  EXPECT_EQ(arena.chunk_count(), 1u);  // the only chunk, started over
  EXPECT_EQ(std::string_view(put(arena, "three"), 5), "three");
  EXPECT_EQ(std::string_view(arena.oldest(), 5), "three");
}

TEST(FifoArenaTest, ARecordLargerThanAChunkGetsOneOfItsOwn) {
  FifoArena arena(16);
  const std::string big(100, 'b');
  char* small = put(arena, "s");
  char* large = put(arena, big);
  EXPECT_EQ(std::string_view(small, 1), "s");
  EXPECT_EQ(std::string_view(large, 100), big);
  EXPECT_EQ(arena.chunk_count(), 2u);
  arena.release_oldest(1);
  EXPECT_EQ(arena.chunk_count(), 1u);  // the first chunk emptied and went
  EXPECT_EQ(arena.oldest(), large);
  arena.release_oldest(100);
  EXPECT_EQ(arena.chunk_count(), 1u);  // the last one stays, started over
  EXPECT_EQ(arena.oldest(), nullptr);
}

TEST(FifoArenaTest, ASteadyQueueReusesItsChunksInsteadOfAllocating) {
  // As CompletedResponses uses it: a window of live records sliding forward.
  FifoArena arena(256);
  constexpr int kWindow = 40;
  const std::string record = "0123456789abcdefghij";
  for (int i = 0; i < kWindow; ++i) put(arena, record);
  const std::size_t warmed_up = arena.chunks_allocated() + FifoArena::kSpareChunks;
  for (int i = 0; i < 10000; ++i) {
    arena.release_oldest(record.size());
    put(arena, record);
  }
  EXPECT_LE(arena.chunks_allocated(), warmed_up);
  // Emptied, it keeps one chunk and at most kSpareChunks spares, not the whole burst.
  for (int i = 0; i < kWindow; ++i) arena.release_oldest(record.size());
  EXPECT_EQ(arena.chunk_count(), 1u);
  EXPECT_EQ(arena.oldest(), nullptr);
}

}  // namespace
}  // namespace osprey::txn
