#pragma once
// A store::MessageStore in memory whose durable callbacks the test triggers by hand, so a test
// can check what happens before and after a message is durable. fetch() answers at once on the
// calling thread (the real store answers from its thread; the code under test posts either way).

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/message_store.hpp"
#include "store/message_store_test_support.hpp"

namespace osprey::im::testing {

class FakeMessageStore : public store::MessageStore {
 public:
  tl::expected<std::uint64_t, store::StoreRefusal> store(store::StoredMessage message,
                                                         Durable durable) override {
    if (refusal) return tl::unexpected(*refusal);
    message.id = ++last_id;
    messages[message.id] = message;
    pending_durable.push_back({message.id, std::move(durable)});
    return message.id;
  }
  // Calls the oldest pending durable callback with `ok`; false when there is none.
  bool make_durable(bool ok = true) {
    if (pending_durable.empty()) return false;
    auto [id, durable] = std::move(pending_durable.front());
    pending_durable.erase(pending_durable.begin());
    if (!ok) messages.erase(id);
    durable(ok);
    return true;
  }
  std::size_t pending_count(std::string_view aor) const override {
    ++pending_count_calls;
    return static_cast<std::size_t>(std::count_if(
        messages.begin(), messages.end(), [aor](const auto& entry) { return entry.second.aor == aor; }));
  }
  void fetch(std::string_view aor, std::size_t limit, Sink sink) override {
    ++fetches;
    std::vector<store::StoredMessage> result;
    for (const auto& [id, message] : messages)
      if (message.aor == aor && result.size() < limit) result.push_back(message);
    sink(std::move(result));
  }
  void remove(std::uint64_t id, Durable done) override {
    removed.push_back(id);
    messages.erase(id);
    if (done) done(true);
  }
  std::size_t expire(std::int64_t) override { return 0; }
  store::MessageStoreCounters counters() const override { return {}; }
  void close() override {}

  // Adds a committed message for `aor` (the store tests' message); returns its id.
  std::uint64_t add(const std::string& aor, const std::string& body,
                    std::int64_t submitted_at = store::testing::kNow) {
    store::StoredMessage message = store::testing::make_message(aor, body, submitted_at);
    message.id = ++last_id;
    messages[message.id] = message;
    return message.id;
  }

  std::optional<store::StoreRefusal> refusal;
  std::uint64_t last_id = 0;
  std::map<std::uint64_t, store::StoredMessage> messages;
  std::vector<std::pair<std::uint64_t, Durable>> pending_durable;
  std::vector<std::uint64_t> removed;
  int fetches = 0;
  mutable int pending_count_calls = 0;
};

}  // namespace osprey::im::testing
