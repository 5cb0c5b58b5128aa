// SqliteMessageStore: what it keeps, in which order, across restarts, and how it commits.
// Quotas, expiry, close and write failures are in sqlite_message_store_limits_test.cpp.
#include "store/sqlite_message_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "message_store_test_support.hpp"

// In the helpers' namespace, so they need no using-declarations.
namespace osprey::store::testing {
namespace {

constexpr int kThreads = 4;

// Stores `per_thread` messages from each of kThreads threads at once; callback id
// t * per_thread + i for message i of thread t.
void store_from_threads(MessageStore& store, Callbacks& callbacks, int per_thread,
                        const std::function<StoredMessage(int thread, int i)>& message_of) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        if (!store.store(message_of(t, i), callbacks.make(t * per_thread + i))) ADD_FAILURE() << "refused";
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

TEST(SqliteMessageStore, CreatesTheDataDirectoryAndItsOwnFile) {
  TempDir dir;
  auto store = SqliteMessageStore::open(dir.path() / "nested" / "data", {}, kNow);
  ASSERT_TRUE(store) << store.error();
  EXPECT_EQ((*store)->file(), dir.path() / "nested" / "data" / "messages.db");
  EXPECT_TRUE(std::filesystem::exists((*store)->file()));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "nested" / "data" / "osprey.db"));
}

TEST(SqliteMessageStore, OpenErrorsNameTheDirectory) {
  TempDir dir;
  const auto blocker = dir.path() / "not-a-directory";
  std::ofstream(blocker) << "x";
  auto store = open_message_store(blocker, {}, kNow);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find(blocker.string()), std::string::npos) << store.error();
}

TEST(SqliteMessageStore, FetchReturnsEveryFieldIntactIncludingABinaryBody) {
  TempDir dir;
  StoredMessage message = make_message(kBob, "", kNow - 30);
  message.from = "\"Ålice\" <sip:alice@example.com>;tag=9fxced76sl";
  message.to = "Bob <sip:bob@example.com>";
  message.content_type = "message/cpim";
  // NUL bytes, high bytes and a CRLF: a body is bytes, not a C string.
  message.body = std::string("\0\x01\xff\xfe\r\nhello\0world", 18);
  ASSERT_EQ(message.body.size(), 18u);
  auto check = [&](const StoredMessage& found, std::uint64_t id) {
    EXPECT_EQ(found.id, id);
    EXPECT_EQ(found.aor, kBob);
    EXPECT_EQ(found.from, message.from);
    EXPECT_EQ(found.to, message.to);
    EXPECT_EQ(found.content_type, message.content_type);
    EXPECT_EQ(found.body, message.body);
    EXPECT_EQ(found.submitted_at, kNow - 30);
  };
  std::uint64_t id = 0;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store);
    id = store_durably(*store, message);
    ASSERT_NE(id, 0u);
    const auto found = fetch_now(*store, kBob);
    ASSERT_EQ(found.size(), 1u);
    check(found[0], id);
    EXPECT_TRUE(fetch_now(*store, kAlice).empty());
  }
  auto reopened = open_store(dir);
  ASSERT_TRUE(reopened);
  const auto found = fetch_now(*reopened, kBob);
  ASSERT_EQ(found.size(), 1u);
  check(found[0], id);
}

TEST(SqliteMessageStore, EmptyBodyAndContentTypeRoundTrip) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  StoredMessage message = make_message(kBob, "");
  message.content_type = "";
  ASSERT_NE(store_durably(*store, message), 0u);
  const auto found = fetch_now(*store, kBob);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].body, "");
  EXPECT_EQ(found[0].content_type, "");
}

TEST(SqliteMessageStore, FetchOrderIsStoreOrderWithRecipientsInterleaved) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  Callbacks callbacks;
  std::vector<std::uint64_t> ids;
  std::vector<std::string> to_alice;
  std::vector<std::string> to_bob;
  for (int i = 0; i < 20; ++i) {
    // Bob gets two for each one of Alice's, so neither sequence is every other id.
    const bool alice = i % 3 == 0;
    const std::string body = (alice ? "a" : "b") + std::to_string(i);
    (alice ? to_alice : to_bob).push_back(body);
    auto id = store->store(make_message(alice ? kAlice : kBob, body), callbacks.make(i));
    ASSERT_TRUE(id);
    ids.push_back(*id);
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "ids must be unique";
  ASSERT_TRUE(callbacks.wait_for(20));
  EXPECT_EQ(callbacks.ok_count(), 20u);
  std::vector<int> in_order(20);
  for (int i = 0; i < 20; ++i) in_order[static_cast<std::size_t>(i)] = i;
  EXPECT_EQ(callbacks.order(), in_order) << "durable callbacks come in store order";

  const auto alice = fetch_now(*store, kAlice);
  const auto bob = fetch_now(*store, kBob);
  EXPECT_EQ(bodies_of(alice), to_alice);
  EXPECT_EQ(bodies_of(bob), to_bob);
  const auto bob_ids = ids_of(bob);
  EXPECT_TRUE(std::is_sorted(bob_ids.begin(), bob_ids.end()));
  EXPECT_EQ(store->pending_count(kAlice), to_alice.size());
  EXPECT_EQ(store->pending_count(kBob), to_bob.size());
  EXPECT_EQ(store->pending_count("sip:carol@example.com"), 0u);
}

TEST(SqliteMessageStore, FetchReturnsAtMostLimitOldestFirst) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  for (int i = 0; i < 5; ++i) ASSERT_NE(store_durably(*store, make_message(kBob, std::to_string(i))), 0u);
  EXPECT_EQ(bodies_of(fetch_now(*store, kBob, 2)), (std::vector<std::string>{"0", "1"}));
  EXPECT_TRUE(fetch_now(*store, kBob, 0).empty());
  EXPECT_EQ(fetch_now(*store, kBob, 10).size(), 5u);
}

TEST(SqliteMessageStore, AFetchSeesEveryStoreCalledBeforeIt) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  // Not waiting for the durable callbacks: the fetch queues behind the writes, so it reads them
  // once committed rather than racing them.
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(store->store(make_message(kBob, std::to_string(i)), {}));
  EXPECT_EQ(fetch_now(*store, kBob).size(), 30u);
}

TEST(SqliteMessageStore, EverythingQueuedIsDurableAfterDestructionAndCountsAreRestored) {
  TempDir dir;
  Callbacks callbacks;
  std::vector<std::string> bodies;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store);
    for (int i = 0; i < 100; ++i) {
      bodies.push_back("message " + std::to_string(i));
      ASSERT_TRUE(store->store(make_message(i % 2 == 0 ? kBob : kAlice, bodies.back()), callbacks.make(i)));
    }
    // Destroyed without waiting: the destructor writes what is queued and calls back.
  }
  EXPECT_EQ(callbacks.order().size(), 100u);
  EXPECT_EQ(callbacks.ok_count(), 100u);
  auto reopened = open_store(dir);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->pending_count(kBob), 50u);
  EXPECT_EQ(reopened->pending_count(kAlice), 50u);
  std::vector<std::string> to_bob;
  for (std::size_t i = 0; i < bodies.size(); i += 2) to_bob.push_back(bodies[i]);
  EXPECT_EQ(bodies_of(fetch_now(*reopened, kBob)), to_bob);
}

TEST(SqliteMessageStore, IdsKeepIncreasingAcrossRestartsEvenWhenEverythingWasDelivered) {
  TempDir dir;
  std::uint64_t last = 0;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store);
    for (int i = 0; i < 3; ++i) last = store_durably(*store, make_message(kBob, "x"));
    ASSERT_NE(last, 0u);
  }
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store);
    const std::uint64_t after_restart = store_durably(*store, make_message(kBob, "y"));
    EXPECT_GT(after_restart, last);
    last = after_restart;
    // Deliver everything: the file then holds no message to take the highest id from.
    for (std::uint64_t id : ids_of(fetch_now(*store, kBob))) EXPECT_TRUE(remove_now(*store, id));
    EXPECT_EQ(store->pending_count(kBob), 0u);
  }
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  EXPECT_GT(store_durably(*store, make_message(kBob, "z")), last);
}

TEST(SqliteMessageStore, ARemovedMessageIsNeverFetchedAgainAndStaysRemovedAfterRestart) {
  TempDir dir;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store);
    const std::uint64_t first = store_durably(*store, make_message(kBob, "first"));
    const std::uint64_t second = store_durably(*store, make_message(kBob, "second"));
    ASSERT_NE(store_durably(*store, make_message(kBob, "third")), 0u);
    ASSERT_NE(second, 0u);
    ASSERT_EQ(store->pending_count(kBob), 3u);
    Callbacks removed;
    store->remove(second, removed.make(2));
    // Out of memory at once, before the deletion commits.
    EXPECT_EQ(store->pending_count(kBob), 2u);
    ASSERT_TRUE(removed.wait_for(1));
    EXPECT_EQ(removed.ok_count(), 1u);
    EXPECT_EQ(bodies_of(fetch_now(*store, kBob)), (std::vector<std::string>{"first", "third"}));
    store->remove(first, {});  // no callback wanted
    EXPECT_EQ(store->pending_count(kBob), 1u);
    EXPECT_EQ(store->counters().delivered, 2u);
    // An unknown id is harmless and still answered, so a failed removal can be retried.
    EXPECT_TRUE(remove_now(*store, 999'999));
    EXPECT_EQ(store->counters().delivered, 2u);
  }
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->pending_count(kBob), 1u);
  EXPECT_EQ(bodies_of(fetch_now(*store, kBob)), (std::vector<std::string>{"third"}));
}

TEST(SqliteMessageStore, ConcurrentStoresAreGroupCommitted) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  Gate gate;
  // The first message's callback holds the writer, so the stores of four threads queue up behind
  // it as a burst of offline MESSAGEs would while the disk is busy.
  ASSERT_TRUE(store->store(make_message(kAlice, "hold"), [&](bool) { gate.pass(); }));
  ASSERT_TRUE(gate.wait_entered());
  constexpr int kPerThread = 250;
  Callbacks callbacks;
  store_from_threads(*store, callbacks, kPerThread, [](int t, int i) {
    return make_message("sip:user" + std::to_string(t) + "@example.com", std::to_string(i));
  });
  gate.open();
  ASSERT_TRUE(callbacks.wait_for(kThreads * kPerThread));
  EXPECT_EQ(callbacks.ok_count(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(store->commits(), 2u);  // the first alone, then the thousand together
  EXPECT_EQ(store->counters().stored, static_cast<std::uint64_t>(kThreads * kPerThread + 1));
  for (int t = 0; t < kThreads; ++t) {
    const std::string aor = "sip:user" + std::to_string(t) + "@example.com";
    const auto messages = fetch_now(*store, aor);
    ASSERT_EQ(messages.size(), static_cast<std::size_t>(kPerThread));
    // Each thread's messages come back in the order that thread stored them.
    for (int i = 0; i < kPerThread; ++i)
      EXPECT_EQ(messages[static_cast<std::size_t>(i)].body, std::to_string(i));
  }
}

TEST(SqliteMessageStore, FreeRunningStoresFromFourThreadsAllBecomeDurable) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  constexpr int kPerThread = 200;
  Callbacks callbacks;
  store_from_threads(*store, callbacks, kPerThread, [](int t, int i) {
    return make_message(kBob, std::to_string(t) + ":" + std::to_string(i));
  });
  ASSERT_TRUE(callbacks.wait_for(kThreads * kPerThread));
  EXPECT_EQ(callbacks.ok_count(), static_cast<std::size_t>(kThreads * kPerThread));
  const auto messages = fetch_now(*store, kBob);
  ASSERT_EQ(messages.size(), static_cast<std::size_t>(kThreads * kPerThread));
  const auto ids = ids_of(messages);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  // Id order keeps each sender's own order, however the four threads interleaved.
  std::vector<int> next(kThreads, 0);
  for (const auto& message : messages) {
    const auto colon = message.body.find(':');
    ASSERT_NE(colon, std::string::npos);
    const int thread = std::stoi(message.body.substr(0, colon));
    EXPECT_EQ(std::stoi(message.body.substr(colon + 1)), next[static_cast<std::size_t>(thread)]++);
  }
}

}  // namespace
}  // namespace osprey::store::testing
