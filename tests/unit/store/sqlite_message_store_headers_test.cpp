// The end-to-end headers of stored MESSAGEs (schema version 3): kept with the message, counted
// against the recipient's byte quota, and a file of schema version 2 opens with its messages
// intact (no headers: they deliver as before).
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "message_store_test_support.hpp"
#include "store/sqlite_message_store.hpp"

namespace osprey::store::testing {
namespace {

TEST(SqliteMessageStoreHeaders, HeadersSurviveARestartByteForByte) {
  TempDir dir;
  const std::string body("\x1f\x8b\x08\x00\r\n\0\xff", 8);
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store);
    StoredMessage message = make_message(kBob, body);
    message.headers = "Subject: lunch\r\nContent-Encoding: gzip\r\n";
    store_durably(*store, std::move(message));
  }
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  const auto messages = fetch_now(*store, kBob);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].headers, "Subject: lunch\r\nContent-Encoding: gzip\r\n");
  EXPECT_EQ(messages[0].body, body);
}

// Headers are attacker input like the body: they take room in the user's box and count.
TEST(SqliteMessageStoreHeaders, HeadersCountAgainstTheByteQuota) {
  TempDir dir;
  auto store = open_store(dir, MessageLimits{.max_bytes_per_user = 100});
  ASSERT_TRUE(store);
  StoredMessage message = make_message(kBob, std::string(60, 'b'));
  message.headers = "X-Pad: " + std::string(40, 'h') + "\r\n";  // 49 bytes: 109 in all
  bool called = false;
  const auto refused = store->store(std::move(message), [&](bool) { called = true; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), StoreRefusal::over_byte_quota);
  store->close();
  EXPECT_FALSE(called);
}

// A messages.db of schema version 2 (before the headers column): it opens, the column is
// added, its rows deliver with no extra headers, and new rows keep theirs, across a restart.
TEST(SqliteMessageStoreHeaders, OpensAVersionTwoFile) {
  TempDir dir;
  const auto file = dir.path() / SqliteMessageStore::kFileName;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    const char* v2 =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, aor TEXT NOT NULL, from_header TEXT NOT NULL,"
        " to_header TEXT NOT NULL, content_type TEXT NOT NULL, body BLOB NOT NULL,"
        " submitted_at INTEGER NOT NULL, from_outsider INTEGER NOT NULL DEFAULT 0,"
        " sender TEXT NOT NULL DEFAULT '');"
        "CREATE INDEX messages_by_aor ON messages (aor, id);"
        "CREATE TABLE message_ids (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
        "INSERT INTO messages VALUES (7, 'sip:bob@example.com', '<sip:x@y>;tag=1', '<sip:bob@example.com>',"
        " 'text/plain', 'old', 1700000000, 1, 'sip:x@y');"
        "INSERT INTO message_ids VALUES ('last_id', 7);"
        "PRAGMA user_version=2;";
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v2, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_close(db);
  }
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->pending_count(kBob), 1u);
    StoredMessage fresh = make_message(kBob, "new");
    fresh.headers = "Subject: hi\r\n";
    EXPECT_EQ(store_durably(*store, std::move(fresh)), 8u);
  }
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  const auto messages = fetch_now(*store, kBob);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].id, 7u);
  EXPECT_EQ(messages[0].body, "old");
  EXPECT_EQ(messages[0].from, "<sip:x@y>;tag=1");
  EXPECT_TRUE(messages[0].from_outsider);
  EXPECT_EQ(messages[0].sender, "sip:x@y");
  EXPECT_EQ(messages[0].headers, "");
  EXPECT_EQ(messages[1].headers, "Subject: hi\r\n");
  store.reset();
  // The file now says version 3.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* version = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &version, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(version), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(version, 0), 3);
  sqlite3_finalize(version);
  sqlite3_close(db);
}

}  // namespace
}  // namespace osprey::store::testing
