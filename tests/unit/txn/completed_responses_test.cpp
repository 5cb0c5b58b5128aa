#include "txn/completed_responses.hpp"

#include <gtest/gtest.h>

namespace osprey::txn {
namespace {

using std::chrono::milliseconds;

const TimePoint kStart{};

net::Flow flow_to(std::uint16_t port) {
  net::Flow flow;
  flow.remote.port = port;
  return flow;
}

TEST(CompletedResponsesTest, FindsAnEntryUntilItsTimeIsUp) {
  CompletedResponses completed(milliseconds(32000));
  completed.add("key-1", "SIP/2.0 200 OK\r\n\r\n", flow_to(5062), kStart);
  const auto* entry = completed.find("key-1");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->response, "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_EQ(entry->flow.remote.port, 5062);
  EXPECT_EQ(completed.find("key-2"), nullptr);

  completed.expire(kStart + milliseconds(31999));
  EXPECT_NE(completed.find("key-1"), nullptr);
  completed.expire(kStart + milliseconds(32000));
  EXPECT_EQ(completed.find("key-1"), nullptr);
  EXPECT_EQ(completed.size(), 0u);
}

TEST(CompletedResponsesTest, ExpiresInArrivalOrder) {
  CompletedResponses completed(milliseconds(1000));
  for (int i = 0; i < 100; ++i) {
    completed.add("key-" + std::to_string(i), "response " + std::to_string(i), flow_to(5060),
                  kStart + milliseconds(10 * i));
  }
  EXPECT_EQ(completed.size(), 100u);
  completed.expire(kStart + milliseconds(1000 + 495));  // the first 50 are due
  EXPECT_EQ(completed.size(), 50u);
  EXPECT_EQ(completed.find("key-49"), nullptr);
  ASSERT_NE(completed.find("key-50"), nullptr);
  EXPECT_EQ(completed.find("key-50")->response, "response 50");
  // Entries keep their addresses while others come and go (the index points into the queue).
  const auto* last = completed.find("key-99");
  for (int i = 100; i < 1000; ++i) {
    completed.add("key-" + std::to_string(i), "r", flow_to(5060), kStart + milliseconds(1000));
  }
  EXPECT_EQ(completed.find("key-99"), last);
  EXPECT_EQ(last->response, "response 99");
}

TEST(CompletedResponsesTest, ANewerEntryWithTheSameKeyWinsAndOutlivesTheOlder) {
  CompletedResponses completed(milliseconds(1000));
  completed.add("key", "first", flow_to(1), kStart);
  completed.add("key", "second", flow_to(2), kStart + milliseconds(500));
  ASSERT_NE(completed.find("key"), nullptr);
  EXPECT_EQ(completed.find("key")->response, "second");
  EXPECT_EQ(completed.size(), 1u);
  // The older one's expiry must not take the newer one's index entry with it.
  completed.expire(kStart + milliseconds(1000));
  ASSERT_NE(completed.find("key"), nullptr);
  EXPECT_EQ(completed.find("key")->response, "second");
  completed.expire(kStart + milliseconds(1500));
  EXPECT_EQ(completed.find("key"), nullptr);
}

TEST(CompletedResponsesTest, SlackOfTheResponseBufferIsGivenBack) {
  CompletedResponses completed(milliseconds(1000));
  std::string response = "SIP/2.0 200 OK\r\n\r\n";
  response.reserve(4096);
  completed.add("key", std::move(response), flow_to(1), kStart);
  ASSERT_NE(completed.find("key"), nullptr);
  EXPECT_LT(completed.find("key")->response.capacity(), 1024u);
}

}  // namespace
}  // namespace osprey::txn
