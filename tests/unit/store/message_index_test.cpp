#include "store/message_index.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace osprey::store {
namespace {

MessageLimits limits(std::size_t messages, std::size_t bytes) {
  MessageLimits out;
  out.max_messages_per_user = messages;
  out.max_bytes_per_user = bytes;
  return out;
}

TEST(MessageIndex, CountsPerAorAndForgetsReleasedMessages) {
  MessageIndex index(limits(10, 100));
  EXPECT_FALSE(index.reserve(1, "sip:bob@example.com", 5, 100));
  EXPECT_FALSE(index.reserve(2, "sip:alice@example.com", 5, 100));
  EXPECT_FALSE(index.reserve(3, "sip:bob@example.com", 5, 100));
  EXPECT_EQ(index.count("sip:bob@example.com"), 2u);
  EXPECT_EQ(index.count("sip:alice@example.com"), 1u);
  EXPECT_TRUE(index.contains(3));
  EXPECT_TRUE(index.release(3));
  EXPECT_FALSE(index.release(3));
  EXPECT_FALSE(index.contains(3));
  EXPECT_EQ(index.count("sip:bob@example.com"), 1u);
  EXPECT_TRUE(index.release(1));
  EXPECT_EQ(index.count("sip:bob@example.com"), 0u);
  EXPECT_EQ(index.size(), 1u);
}

TEST(MessageIndex, ARefusalChangesNothing) {
  MessageIndex index(limits(1, 100));
  EXPECT_FALSE(index.reserve(1, "sip:bob@example.com", 5, 100));
  EXPECT_EQ(index.reserve(2, "sip:bob@example.com", 5, 100), StoreRefusal::over_message_quota);
  EXPECT_FALSE(index.contains(2));
  EXPECT_EQ(index.size(), 1u);
}

TEST(MessageIndex, HugeSizesNeverOverflowTheByteCheck) {
  constexpr auto kMax = std::numeric_limits<std::size_t>::max();
  MessageIndex index(limits(10, kMax - 1));
  EXPECT_FALSE(index.reserve(1, "sip:bob@example.com", kMax - 10, 100));
  // kMax - 10 + 20 wraps around to a small number: a naive sum would let this in.
  EXPECT_EQ(index.reserve(2, "sip:bob@example.com", 20, 100), StoreRefusal::over_byte_quota);
  EXPECT_EQ(index.reserve(3, "sip:alice@example.com", kMax, 100), StoreRefusal::over_byte_quota);
}

TEST(MessageIndex, RestoreIgnoresTheQuota) {
  MessageIndex index(limits(1, 1));
  index.restore(1, "sip:bob@example.com", 50, 100);
  index.restore(2, "sip:bob@example.com", 50, 100);
  EXPECT_EQ(index.count("sip:bob@example.com"), 2u);
  EXPECT_EQ(index.reserve(3, "sip:bob@example.com", 0, 100), StoreRefusal::over_message_quota);
}

TEST(MessageIndex, TakeOlderThanReturnsOnlyMessagesBeforeTheCutoff) {
  MessageIndex index(limits(10, 100));
  EXPECT_FALSE(index.reserve(1, "sip:bob@example.com", 1, 300));
  EXPECT_FALSE(index.reserve(2, "sip:bob@example.com", 1, 100));  // arrived later, submitted earlier
  EXPECT_FALSE(index.reserve(3, "sip:alice@example.com", 1, 200));
  EXPECT_EQ(index.take_older_than(200), std::vector<std::uint64_t>{2});
  EXPECT_EQ(index.take_older_than(301), (std::vector<std::uint64_t>{3, 1}));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.count("sip:bob@example.com"), 0u);
}

}  // namespace
}  // namespace osprey::store
