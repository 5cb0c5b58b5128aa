#include "txn/completed_responses.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

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
  EXPECT_EQ(entry->response(), "SIP/2.0 200 OK\r\n\r\n");
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
  EXPECT_EQ(completed.find("key-50")->response(), "response 50");
  // Entries keep their addresses while others come and go (the index points into the queue).
  const auto* last = completed.find("key-99");
  for (int i = 100; i < 1000; ++i) {
    completed.add("key-" + std::to_string(i), "r", flow_to(5060), kStart + milliseconds(1000));
  }
  EXPECT_EQ(completed.find("key-99"), last);
  EXPECT_EQ(last->response(), "response 99");
}

TEST(CompletedResponsesTest, ANewerEntryWithTheSameKeyWinsAndOutlivesTheOlder) {
  CompletedResponses completed(milliseconds(1000));
  completed.add("key", "first", flow_to(1), kStart);
  completed.add("key", "second", flow_to(2), kStart + milliseconds(500));
  ASSERT_NE(completed.find("key"), nullptr);
  EXPECT_EQ(completed.find("key")->response(), "second");
  EXPECT_EQ(completed.size(), 1u);
  // The older one's expiry must not take the newer one's index entry with it.
  completed.expire(kStart + milliseconds(1000));
  ASSERT_NE(completed.find("key"), nullptr);
  EXPECT_EQ(completed.find("key")->response(), "second");
  completed.expire(kStart + milliseconds(1500));
  EXPECT_EQ(completed.find("key"), nullptr);
}

TEST(CompletedResponsesTest, KeepsOnlyTheBytesNotTheSlackOfTheResponseBuffer) {
  CompletedResponses completed(milliseconds(1000));
  std::string response = "SIP/2.0 200 OK\r\n\r\n";
  response.reserve(4096);
  completed.add("key", response, flow_to(1), kStart);
  response.assign(4000, 'x');  // the entry holds a copy of what was sent, not the caller's buffer
  ASSERT_NE(completed.find("key"), nullptr);
  EXPECT_EQ(completed.find("key")->key(), "key");
  EXPECT_EQ(completed.find("key")->response(), "SIP/2.0 200 OK\r\n\r\n");
}

TEST(CompletedResponsesTest, AgreesWithASimpleModelThroughGrowthDuplicatesExpiryAndShrinking) {
  // The index is open addressing with backward-shift deletion: check it against a plain map over
  // many adds (a fifth of them re-using a recent key), expiries in the middle of probe runs, the
  // table growing to thousands of slots and shrinking back. Seeds 0 and 1 place keys differently.
  for (std::uint64_t seed : {0ULL, 1ULL}) {
    CompletedResponses completed(milliseconds(1000), seed);
    std::map<std::string, std::pair<std::string, TimePoint>> model;  // key -> (response, expires)
    std::mt19937 random(7);
    TimePoint now = kStart;
    for (int i = 0; i < 20000; ++i) {
      // Bursts, then quiet spells long enough for everything to expire.
      now += milliseconds(i % 5000 < 4000 ? 1 : 3);
      const bool reuse = random() % 5 == 0 && i > 10;
      const std::string key = "key-" + std::to_string(reuse ? i - 1 - static_cast<int>(random() % 10) : i);
      const std::string response = "r" + std::to_string(i);
      completed.add(key, response, flow_to(1), now);
      model[key] = {response, now + milliseconds(1000)};
      if (i % 97 == 0) {
        completed.expire(now);
        std::erase_if(model, [&](const auto& item) { return item.second.second <= now; });
        ASSERT_EQ(completed.size(), model.size()) << "seed " << seed << " step " << i;
        for (int probe = i - 300; probe <= i; ++probe) {
          const std::string probe_key = "key-" + std::to_string(probe);
          const auto* found = completed.find(probe_key);
          const auto expected = model.find(probe_key);
          if (expected == model.end()) {
            ASSERT_EQ(found, nullptr) << probe_key << " step " << i;
          } else {
            ASSERT_NE(found, nullptr) << probe_key << " step " << i;
            ASSERT_EQ(found->response(), expected->second.first) << probe_key;
          }
        }
      }
    }
    completed.expire(now + milliseconds(1000));
    EXPECT_EQ(completed.size(), 0u);
    EXPECT_EQ(completed.find("key-19999"), nullptr);
  }
}

}  // namespace
}  // namespace osprey::txn
