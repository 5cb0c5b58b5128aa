// The outsiders' quotas of SqliteMessageStore: senders who are not authenticated account holders
// have a budget of their own per recipient, and a per-sender quota, so that a stranger filling a
// user's box never makes the store refuse the user's own correspondents; and the marks survive
// a restart (and a file written before they existed opens with its messages as account holders').
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "message_store_test_support.hpp"
#include "store/sqlite_message_store.hpp"

namespace osprey::store::testing {
namespace {

StoredMessage from_outsider(const std::string& aor, const std::string& sender, const std::string& body) {
  StoredMessage message = make_message(aor, body);
  message.from_outsider = true;
  message.sender = sender;
  message.from = "<" + sender + ">;tag=o1";
  return message;
}

constexpr MessageLimits kSmall{.max_messages_per_user = 5,
                               .max_bytes_per_user = 1000,
                               .max_messages_from_outsiders_per_user = 4,
                               .max_bytes_from_outsiders_per_user = 100,
                               .max_messages_per_outsider_sender = 2};

TEST(SqliteMessageStoreOutsiders, AFullOutsidersBudgetNeverRefusesAnAccountHolder) {
  TempDir dir;
  auto store = open_store(dir, kSmall);
  ASSERT_TRUE(store);
  // Outsiders, each under its own quota, fill the outsiders' budget.
  for (int i = 0; i < 4; ++i) {
    const std::string sender = "sip:spam" + std::to_string(i / 2) + "@elsewhere.example";
    ASSERT_NE(store_durably(*store, from_outsider(kBob, sender, "x")), 0u) << i;
  }
  auto refused = store->store(from_outsider(kBob, "sip:spam9@elsewhere.example", "x"), {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreRefusal::over_message_quota);
  // Every account holder message still fits, up to the full quota.
  for (int i = 0; i < 5; ++i)
    EXPECT_NE(store_durably(*store, make_message(kBob, "m" + std::to_string(i))), 0u);
  EXPECT_EQ(store->store(make_message(kBob, "one more"), {}).error(), StoreRefusal::over_message_quota);
  EXPECT_EQ(store->pending_count(kBob), 9u);
}

TEST(SqliteMessageStoreOutsiders, OneOutsiderGetsOnlyItsShare) {
  TempDir dir;
  auto store = open_store(dir, kSmall);
  ASSERT_TRUE(store);
  const std::string spammer = "sip:spam@elsewhere.example";
  ASSERT_NE(store_durably(*store, from_outsider(kBob, spammer, "1")), 0u);
  const std::uint64_t second = store_durably(*store, from_outsider(kBob, spammer, "2"));
  ASSERT_NE(second, 0u);
  auto refused = store->store(from_outsider(kBob, spammer, "3"), {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreRefusal::over_sender_quota);
  // The quota is per recipient: the same sender may still write to alice.
  EXPECT_NE(store_durably(*store, from_outsider(kAlice, spammer, "a")), 0u);
  // Another outsider still has room, and a delivered message frees the sender's place.
  EXPECT_NE(store_durably(*store, from_outsider(kBob, "sip:other@elsewhere.example", "o")), 0u);
  ASSERT_TRUE(remove_now(*store, second));
  EXPECT_NE(store_durably(*store, from_outsider(kBob, spammer, "3")), 0u);
}

TEST(SqliteMessageStoreOutsiders, OutsidersHaveTheirOwnByteBudget) {
  TempDir dir;
  auto store = open_store(dir, kSmall);
  ASSERT_TRUE(store);
  ASSERT_NE(store_durably(*store, from_outsider(kBob, "sip:a@elsewhere.example", std::string(60, 'a'))), 0u);
  auto refused = store->store(from_outsider(kBob, "sip:b@elsewhere.example", std::string(41, 'b')), {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreRefusal::over_byte_quota);
  EXPECT_NE(store_durably(*store, make_message(kBob, std::string(900, 'm'))), 0u);
}

TEST(SqliteMessageStoreOutsiders, MarksAndQuotasSurviveARestart) {
  TempDir dir;
  {
    auto store = open_store(dir, kSmall);
    ASSERT_TRUE(store);
    ASSERT_NE(store_durably(*store, from_outsider(kBob, "sip:spam@elsewhere.example", "1")), 0u);
    ASSERT_NE(store_durably(*store, from_outsider(kBob, "sip:spam@elsewhere.example", "2")), 0u);
    ASSERT_NE(store_durably(*store, make_message(kBob, "member")), 0u);
  }
  auto store = open_store(dir, kSmall);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->store(from_outsider(kBob, "sip:spam@elsewhere.example", "3"), {}).error(),
            StoreRefusal::over_sender_quota);
  const auto messages = fetch_now(*store, kBob);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_TRUE(messages[0].from_outsider);
  EXPECT_EQ(messages[0].sender, "sip:spam@elsewhere.example");
  EXPECT_FALSE(messages[2].from_outsider);
  EXPECT_EQ(messages[2].sender, "");
}

// A messages.db written before the outsiders' columns existed (schema version 1) opens: the
// columns are added with their defaults, its messages count as account holders', and new
// messages keep their marks.
TEST(SqliteMessageStoreOutsiders, OpensAVersionOneFile) {
  TempDir dir;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / SqliteMessageStore::kFileName).c_str(), &db), SQLITE_OK);
    const char* v1 =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, aor TEXT NOT NULL, from_header TEXT NOT NULL,"
        " to_header TEXT NOT NULL, content_type TEXT NOT NULL, body BLOB NOT NULL,"
        " submitted_at INTEGER NOT NULL);"
        "CREATE INDEX messages_by_aor ON messages (aor, id);"
        "CREATE TABLE message_ids (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
        "INSERT INTO messages VALUES (7, 'sip:bob@example.com', '<sip:x@y>;tag=1', '<sip:bob@example.com>',"
        " 'text/plain', 'old', 1700000000);"
        "INSERT INTO message_ids VALUES ('last_id', 7);"
        "PRAGMA user_version=1;";
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_close(db);
  }
  auto store = open_store(dir, kSmall);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->pending_count(kBob), 1u);
  const std::uint64_t id = store_durably(*store, from_outsider(kBob, "sip:spam@elsewhere.example", "new"));
  EXPECT_EQ(id, 8u);
  const auto messages = fetch_now(*store, kBob);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].body, "old");
  EXPECT_FALSE(messages[0].from_outsider);
  EXPECT_TRUE(messages[1].from_outsider);
  store.reset();
  // Opened again: already migrated, nothing to add.
  EXPECT_TRUE(open_store(dir, kSmall));
}

}  // namespace
}  // namespace osprey::store::testing
