// UnprovenConnections: the accepted connections of every worker that have not delivered a
// complete message yet, oldest first, and the requests that make a worker shed one of its own.

#include "net/unproven_connections.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace osprey::net {
namespace {

TEST(UnprovenConnections, TheOldestOfEveryWorkerComesFirst) {
  UnprovenConnections unproven;
  const unsigned first = unproven.join([](ConnectionId) {});
  const unsigned second = unproven.join([](ConnectionId) {});
  unproven.add(second, 7);
  const auto proven_later = unproven.add(first, 3);
  unproven.add(first, 4);
  unproven.add(second, 8);
  unproven.remove(proven_later);
  EXPECT_EQ(unproven.size(), 3u);
  auto oldest = unproven.take_oldest();
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->member, second);
  EXPECT_EQ(oldest->connection, 7u);
  oldest = unproven.take_oldest();
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->member, first);
  EXPECT_EQ(oldest->connection, 4u);
  oldest = unproven.take_oldest();
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->connection, 8u);
  EXPECT_FALSE(unproven.take_oldest());
}

TEST(UnprovenConnections, ShedRequestsReachTheOwningWorkerUntilItLeaves) {
  UnprovenConnections unproven;
  std::vector<ConnectionId> asked;
  const unsigned member = unproven.join([&](ConnectionId id) { asked.push_back(id); });
  unproven.add(member, 5);
  unproven.add(member, 6);
  auto oldest = unproven.take_oldest();
  ASSERT_TRUE(oldest);
  EXPECT_TRUE(unproven.request_shed(*oldest));
  EXPECT_EQ(asked, std::vector<ConnectionId>{5});
  unproven.leave(member);  // its remaining entries go with it
  EXPECT_EQ(unproven.size(), 0u);
  EXPECT_FALSE(unproven.request_shed(*oldest));
  EXPECT_EQ(asked.size(), 1u);
}

}  // namespace
}  // namespace osprey::net
