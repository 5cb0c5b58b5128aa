#pragma once
// Shared by the message store tests: message builders, and bounded waits for the callbacks and
// fetch results that arrive on the store's writer thread.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite_message_store.hpp"
#include "store_test_support.hpp"

namespace osprey::store::testing {

inline constexpr std::int64_t kNow = 1'700'000'000;
inline constexpr auto kBound = std::chrono::seconds(20);
inline const std::string kAlice = "sip:alice@example.com";
inline const std::string kBob = "sip:bob@example.com";

inline StoredMessage make_message(const std::string& aor, const std::string& body,
                                  std::int64_t submitted_at = kNow) {
  StoredMessage message;
  message.aor = aor;
  message.from = "\"Alice\" <sip:alice@example.com>;tag=a1b2";
  message.to = "<" + aor + ">";
  message.content_type = "text/plain;charset=UTF-8";
  message.body = body;
  message.submitted_at = submitted_at;
  return message;
}

inline std::unique_ptr<SqliteMessageStore> open_store(const TempDir& dir, MessageLimits limits = {},
                                                      std::int64_t now = kNow) {
  auto store = SqliteMessageStore::open(dir.path(), limits, now);
  EXPECT_TRUE(store) << store.error();
  return store ? std::move(*store) : nullptr;
}

// Stores `message` and waits for its durable callback; returns the id, 0 if refused or not durable.
inline std::uint64_t store_durably(MessageStore& store, StoredMessage message) {
  auto durable = std::make_shared<std::promise<bool>>();
  auto stored = store.store(std::move(message), [durable](bool ok) { durable->set_value(ok); });
  if (!stored) return 0;
  auto result = durable->get_future();
  if (result.wait_for(kBound) != std::future_status::ready) {
    ADD_FAILURE() << "durable callback never came";
    return 0;
  }
  return result.get() ? *stored : 0;
}

// Fetches and waits for the sink; a lost sink fails the test instead of hanging it.
inline std::vector<StoredMessage> fetch_now(MessageStore& store, const std::string& aor,
                                            std::size_t limit = 100'000) {
  auto fetched = std::make_shared<std::promise<std::vector<StoredMessage>>>();
  store.fetch(aor, limit,
              [fetched](std::vector<StoredMessage> messages) { fetched->set_value(std::move(messages)); });
  auto result = fetched->get_future();
  if (result.wait_for(kBound) != std::future_status::ready) {
    ADD_FAILURE() << "fetch never answered";
    return {};
  }
  return result.get();
}

// Removes and waits for the done callback; true if the removal committed.
inline bool remove_now(MessageStore& store, std::uint64_t id) {
  auto done = std::make_shared<std::promise<bool>>();
  store.remove(id, [done](bool ok) { done->set_value(ok); });
  auto result = done->get_future();
  if (result.wait_for(kBound) != std::future_status::ready) {
    ADD_FAILURE() << "remove never answered";
    return false;
  }
  return result.get();
}

inline std::vector<std::string> bodies_of(const std::vector<StoredMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& message : messages) out.push_back(message.body);
  return out;
}

inline std::vector<std::uint64_t> ids_of(const std::vector<StoredMessage>& messages) {
  std::vector<std::uint64_t> out;
  for (const auto& message : messages) out.push_back(message.id);
  return out;
}

}  // namespace osprey::store::testing
