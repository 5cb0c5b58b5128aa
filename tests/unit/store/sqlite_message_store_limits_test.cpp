// SqliteMessageStore at its edges: quotas (per-user count and bytes), expiry (dropped
// and counted, at open and periodically), close, and what a failed write does.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "message_store_test_support.hpp"
#include "store/sqlite_message_store.hpp"

// In the helpers' namespace, so they need no using-declarations.
namespace osprey::store::testing {
namespace {

// Runs `sql` on the store's file through a connection of its own, as an operator's shell would.
void run_sql(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  const int ran = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  EXPECT_EQ(ran, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(SqliteMessageStoreLimits, RefusesOverTheMessageQuotaUntilOneIsRemoved) {
  TempDir dir;
  auto store = open_store(dir, {.max_messages_per_user = 3});
  ASSERT_TRUE(store);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(store_durably(*store, make_message(kBob, std::to_string(i))));
  ASSERT_NE(ids.back(), 0u);
  bool called = false;
  auto refused = store->store(make_message(kBob, "over"), [&](bool) { called = true; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreRefusal::over_message_quota);
  EXPECT_EQ(store->counters().refused, 1u);
  EXPECT_EQ(store->pending_count(kBob), 3u);
  // The quota is per user.
  EXPECT_NE(store_durably(*store, make_message(kAlice, "fine")), 0u);
  // Delivering one frees its place.
  ASSERT_TRUE(remove_now(*store, ids[0]));
  EXPECT_NE(store_durably(*store, make_message(kBob, "now fits")), 0u);
  EXPECT_EQ(bodies_of(fetch_now(*store, kBob)), (std::vector<std::string>{"1", "2", "now fits"}));
  store->close();
  EXPECT_FALSE(called) << "a refused message's callback must never run";
}

TEST(SqliteMessageStoreLimits, RefusesOverTheByteQuotaUntilOneIsRemoved) {
  TempDir dir;
  auto store = open_store(dir, {.max_bytes_per_user = 10});
  ASSERT_TRUE(store);
  const std::uint64_t six = store_durably(*store, make_message(kBob, "123456"));
  ASSERT_NE(six, 0u);
  auto refused = store->store(make_message(kBob, "12345"), {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreRefusal::over_byte_quota);
  EXPECT_NE(store_durably(*store, make_message(kBob, "1234")), 0u);  // exactly 10 bytes
  EXPECT_FALSE(store->store(make_message(kBob, "1"), {}));
  // One body above the quota on its own never fits, even for an empty mailbox.
  auto alone = store->store(make_message(kAlice, "12345678901"), {});
  ASSERT_FALSE(alone);
  EXPECT_EQ(alone.error(), StoreRefusal::over_byte_quota);
  ASSERT_TRUE(remove_now(*store, six));
  EXPECT_NE(store_durably(*store, make_message(kBob, "123456")), 0u);
  EXPECT_EQ(store->counters().refused, 3u);
}

TEST(SqliteMessageStoreLimits, TheQuotaCountsMessagesStillQueued) {
  TempDir dir;
  auto store = open_store(dir, {.max_messages_per_user = 2});
  ASSERT_TRUE(store);
  Gate gate;
  // Hold the writer in the first callback: the second message stays queued, not committed.
  ASSERT_TRUE(store->store(make_message(kBob, "first"), [&](bool) { gate.pass(); }));
  ASSERT_TRUE(gate.wait_entered());
  Callbacks callbacks;
  ASSERT_TRUE(store->store(make_message(kBob, "queued"), callbacks.make(2)));
  EXPECT_EQ(store->pending_count(kBob), 2u);
  auto refused = store->store(make_message(kBob, "third"), callbacks.make(3));
  EXPECT_FALSE(refused);
  gate.open();
  ASSERT_TRUE(callbacks.wait_for(1));
  EXPECT_EQ(callbacks.order(), std::vector<int>{2});
}

TEST(SqliteMessageStoreLimits, QuotasAreRestoredFromTheFileAtOpen) {
  TempDir dir;
  {
    auto store = open_store(dir, {.max_messages_per_user = 2});
    ASSERT_TRUE(store);
    ASSERT_NE(store_durably(*store, make_message(kBob, "1")), 0u);
    ASSERT_NE(store_durably(*store, make_message(kBob, "2")), 0u);
  }
  auto store = open_store(dir, {.max_messages_per_user = 2});
  ASSERT_TRUE(store);
  auto refused = store->store(make_message(kBob, "3"), {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreRefusal::over_message_quota);
}

TEST(SqliteMessageStoreLimits, ExpireDropsOldMessagesAndCountsThem) {
  TempDir dir;
  const MessageLimits limits{.max_age_seconds = 100};
  auto store = open_store(dir, limits);
  ASSERT_TRUE(store);
  ASSERT_NE(store_durably(*store, make_message(kBob, "old", kNow - 150)), 0u);
  ASSERT_NE(store_durably(*store, make_message(kBob, "edge", kNow - 100)), 0u);
  ASSERT_NE(store_durably(*store, make_message(kBob, "young", kNow - 10)), 0u);
  ASSERT_NE(store_durably(*store, make_message(kAlice, "alice old", kNow - 101)), 0u);
  EXPECT_EQ(store->expire(kNow), 2u);  // submitted before now - max_age; exactly max_age old stays
  EXPECT_EQ(store->counters().expired, 2u);
  EXPECT_EQ(store->pending_count(kBob), 2u);
  EXPECT_EQ(store->pending_count(kAlice), 0u);
  EXPECT_EQ(bodies_of(fetch_now(*store, kBob)), (std::vector<std::string>{"edge", "young"}));
  EXPECT_TRUE(fetch_now(*store, kAlice).empty());
  EXPECT_EQ(store->expire(kNow), 0u);
  store->close();

  // Gone from the file too, not only from memory.
  auto reopened = open_store(dir, limits, kNow);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->counters().expired, 0u);
  EXPECT_EQ(reopened->pending_count(kBob), 2u);
}

TEST(SqliteMessageStoreLimits, OpenDropsWhatExpiredWhileStoppedAndCountsIt) {
  TempDir dir;
  const MessageLimits limits{.max_age_seconds = 100};
  {
    auto store = open_store(dir, limits);
    ASSERT_TRUE(store);
    ASSERT_NE(store_durably(*store, make_message(kBob, "a", kNow)), 0u);
    ASSERT_NE(store_durably(*store, make_message(kBob, "b", kNow + 50)), 0u);
    ASSERT_NE(store_durably(*store, make_message(kAlice, "c", kNow + 60)), 0u);
  }
  auto store = open_store(dir, limits, kNow + 155);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->counters().expired, 2u);
  EXPECT_EQ(store->pending_count(kBob), 0u);
  EXPECT_TRUE(fetch_now(*store, kBob).empty());
  EXPECT_EQ(bodies_of(fetch_now(*store, kAlice)), std::vector<std::string>{"c"});
}

TEST(SqliteMessageStoreLimits, AfterCloseStoreIsRefusedAndCallbacksStillCome) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  const std::uint64_t id = store_durably(*store, make_message(kBob, "kept"));
  ASSERT_NE(id, 0u);
  store->close();
  store->close();  // idempotent
  bool called = false;
  auto refused = store->store(make_message(kBob, "late"), [&](bool) { called = true; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreRefusal::closed);
  EXPECT_FALSE(called);
  EXPECT_EQ(store->counters().refused, 1u);
  // fetch and remove still answer, on the calling thread, without touching the file.
  EXPECT_TRUE(fetch_now(*store, kBob).empty());
  EXPECT_FALSE(remove_now(*store, id));
  EXPECT_EQ(store->pending_count(kBob), 1u);
  EXPECT_EQ(store->expire(kNow + 1'000'000'000), 0u);
}

TEST(SqliteMessageStoreLimits, AFailedWriteReportsFailureAndReleasesTheQuota) {
  TempDir dir;
  auto store = open_store(dir, {.max_messages_per_user = 1});
  ASSERT_TRUE(store);
  // Someone drops the table behind the store's back: every later write fails.
  run_sql(store->file(), "DROP TABLE messages");
  EXPECT_EQ(store_durably(*store, make_message(kBob, "lost")), 0u);
  EXPECT_EQ(store->pending_count(kBob), 0u);
  EXPECT_EQ(store->counters().write_failures, 1u);
  EXPECT_EQ(store->counters().stored, 0u);
  EXPECT_NE(store->last_error().find(store->file().string()), std::string::npos) << store->last_error();
  // The quota of one was released, so the next store is accepted (and fails the same way).
  Callbacks callbacks;
  ASSERT_TRUE(store->store(make_message(kBob, "again"), callbacks.make(1)));
  ASSERT_TRUE(callbacks.wait_for(1));
  EXPECT_EQ(callbacks.ok_count(), 0u);
}

TEST(SqliteMessageStoreLimits, RefusesAFileFromANewerOsprey) {
  TempDir dir;
  open_store(dir).reset();
  run_sql(dir.path() / "messages.db", "PRAGMA user_version=99");
  auto store = SqliteMessageStore::open(dir.path(), {}, kNow);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("messages.db"), std::string::npos) << store.error();
  EXPECT_NE(store.error().find("99"), std::string::npos) << store.error();
}

}  // namespace
}  // namespace osprey::store::testing
