#include "store/sqlite_ban_store.hpp"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "temp_dir.hpp"

namespace osprey::store {
namespace {

using test_support::TempDir;

constexpr std::int64_t kNow = 1'700'000'000;

BanRecord ban_of(const std::string& address, std::int64_t until, std::uint32_t offences = 1,
                 const std::string& reason = "scanner") {
  return {address, kNow, until, offences, reason};
}

std::unique_ptr<BanStore> open_store(const std::filesystem::path& data_dir) {
  auto store = open_ban_store(data_dir);
  EXPECT_TRUE(store) << store.error();
  return store ? std::move(*store) : nullptr;
}

std::vector<BanRecord> live(BanStore& store, std::int64_t now) {
  auto bans = store.list(now);
  EXPECT_TRUE(bans) << bans.error();
  return bans ? *bans : std::vector<BanRecord>{};
}

std::vector<BanChange> changes(BanStore& store, std::size_t most = 1000) {
  auto taken = store.take_changes(most);
  EXPECT_TRUE(taken) << taken.error();
  return taken ? *taken : std::vector<BanChange>{};
}

std::vector<std::string> addresses(const std::vector<BanRecord>& bans) {
  std::vector<std::string> out;
  for (const BanRecord& ban : bans) out.push_back(ban.address);
  return out;
}

TEST(SqliteBanStore, PutListSortedByAddress) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store);
  EXPECT_TRUE(live(*store, kNow).empty());
  ASSERT_TRUE(store->put(ban_of("2001:db8::1", kNow + 60)));
  ASSERT_TRUE(store->put(ban_of("192.0.2.7", kNow + 3600, 3, "REGISTER brute force")));
  ASSERT_TRUE(store->put(ban_of("10.0.0.1", kNow + 60)));

  const auto bans = live(*store, kNow);
  EXPECT_EQ(addresses(bans), (std::vector<std::string>{"10.0.0.1", "192.0.2.7", "2001:db8::1"}));
  EXPECT_EQ(bans[1], ban_of("192.0.2.7", kNow + 3600, 3, "REGISTER brute force"));
}

TEST(SqliteBanStore, PutReplacesTheRecordOfAnAddress) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put(ban_of("192.0.2.7", kNow + 60)));
  ASSERT_TRUE(store->put(ban_of("192.0.2.7", kNow + 7200, 2, "again")));
  const auto bans = live(*store, kNow);
  ASSERT_EQ(bans.size(), 1U);
  EXPECT_EQ(bans[0], ban_of("192.0.2.7", kNow + 7200, 2, "again"));
  EXPECT_EQ(store->put(ban_of("", kNow + 60)).error(), "a ban needs an address");
}

TEST(SqliteBanStore, ListShowsOnlyLiveBans) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put(ban_of("192.0.2.1", kNow + 60)));
  ASSERT_TRUE(store->put(ban_of("192.0.2.2", kNow + 120)));
  EXPECT_EQ(live(*store, kNow + 59).size(), 2U);
  // Banned while now < until: at `until` itself the ban is over.
  EXPECT_EQ(addresses(live(*store, kNow + 60)), std::vector<std::string>{"192.0.2.2"});
  EXPECT_TRUE(live(*store, kNow + 120).empty());
}

TEST(SqliteBanStore, RemoveSaysWhetherThereWasABan) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put(ban_of("192.0.2.1", kNow + 60)));
  const auto removed = store->remove("192.0.2.1");
  ASSERT_TRUE(removed) << removed.error();
  EXPECT_TRUE(*removed);
  EXPECT_TRUE(live(*store, kNow).empty());
  const auto again = store->remove("192.0.2.1");
  ASSERT_TRUE(again) << again.error();
  EXPECT_FALSE(*again);
}

TEST(SqliteBanStore, RemoveExpiredDeletesOnlyEndedBans) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put(ban_of("192.0.2.1", kNow + 60)));
  ASSERT_TRUE(store->put(ban_of("192.0.2.2", kNow + 61)));
  ASSERT_TRUE(store->put(ban_of("192.0.2.3", kNow + 600)));
  const auto expired = store->remove_expired(kNow + 61, 1000);
  ASSERT_TRUE(expired) << expired.error();
  EXPECT_EQ(*expired, 2U);
  EXPECT_EQ(addresses(live(*store, 0)), std::vector<std::string>{"192.0.2.3"});  // gone from the file
  EXPECT_EQ(*store->remove_expired(kNow + 61, 1000), 0U);
  // An expired record that remove_expired has not reached yet is still a record to remove.
  EXPECT_TRUE(*store->remove("192.0.2.3"));
}

TEST(SqliteBanStore, BansSurviveAReopen) {
  TempDir dir;
  {
    auto store = open_store(dir.path());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->put(ban_of("192.0.2.7", kNow + 60, 4, "toll fraud")));
  }
  auto store = open_store(dir.path());
  ASSERT_TRUE(store);
  const auto bans = live(*store, kNow);
  ASSERT_EQ(bans.size(), 1U);
  EXPECT_EQ(bans[0], ban_of("192.0.2.7", kNow + 60, 4, "toll fraud"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / SqliteBanStore::kFileName));
}

TEST(SqliteBanStore, TakeChangesReturnsOnlyAnotherInstancesChanges) {
  TempDir dir;
  auto server = open_store(dir.path());
  auto tool = open_store(dir.path());  // as `osprey ban` in another process would
  ASSERT_TRUE(server && tool);
  EXPECT_TRUE(changes(*server).empty());

  ASSERT_TRUE(tool->put(ban_of("192.0.2.7", kNow + 60)));
  EXPECT_EQ(changes(*server), (std::vector<BanChange>{{ban_of("192.0.2.7", kNow + 60), false}}));
  EXPECT_TRUE(changes(*server).empty());  // read once

  // Its own writes are no change to read, even when another's come between them.
  ASSERT_TRUE(server->put(ban_of("198.51.100.1", kNow + 60)));
  EXPECT_TRUE(changes(*server).empty());
  ASSERT_TRUE(server->put(ban_of("198.51.100.2", kNow + 60)));
  ASSERT_TRUE(tool->put(ban_of("192.0.2.8", kNow + 60)));
  ASSERT_TRUE(server->put(ban_of("198.51.100.3", kNow + 60)));
  EXPECT_EQ(changes(*server), (std::vector<BanChange>{{ban_of("192.0.2.8", kNow + 60), false}}));

  // The tool lifts a ban the server made: a removal.
  ASSERT_TRUE(*tool->remove("198.51.100.1"));
  const auto lifted = changes(*server);
  ASSERT_EQ(lifted.size(), 1U);
  EXPECT_TRUE(lifted[0].removed);
  EXPECT_EQ(lifted[0].record.address, "198.51.100.1");
  // And the tool sees the server's bans the same way.
  EXPECT_EQ(addresses(live(*tool, kNow)),
            (std::vector<std::string>{"192.0.2.7", "192.0.2.8", "198.51.100.2", "198.51.100.3"}));
}

TEST(SqliteBanStore, TakeChangesIsIncrementalAndBounded) {
  TempDir dir;
  auto server = open_store(dir.path());
  auto tool = open_store(dir.path());
  ASSERT_TRUE(server && tool);
  // Many bans on file before: none of them is read again as a change.
  std::vector<BanRecord> old_bans;
  for (int i = 0; i < 500; ++i)
    old_bans.push_back(ban_of("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), kNow + 60));
  ASSERT_TRUE(tool->put_all(old_bans));
  EXPECT_EQ(changes(*server).size(), 500U);
  // Then five more, read at most two at a time, in order, each once.
  std::vector<BanRecord> fresh;
  for (int i = 0; i < 5; ++i) fresh.push_back(ban_of("192.0.2." + std::to_string(i), kNow + 60));
  ASSERT_TRUE(tool->put_all(fresh));
  std::vector<std::string> seen;
  for (int round = 0; round < 3; ++round) {
    const auto taken = changes(*server, 2);
    EXPECT_LE(taken.size(), 2U);
    for (const BanChange& change : taken) seen.push_back(change.record.address);
  }
  EXPECT_EQ(seen, addresses(fresh));
  EXPECT_TRUE(changes(*server, 2).empty());
}

TEST(SqliteBanStore, PutAllIsOneTransaction) {
  TempDir dir;
  auto opened = SqliteBanStore::open(dir.path());
  ASSERT_TRUE(opened) << opened.error();
  SqliteBanStore& store = **opened;
  std::vector<BanRecord> bans;
  for (int i = 0; i < 1000; ++i)
    bans.push_back(ban_of("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256), kNow + 60));
  const std::uint64_t before = store.transactions();
  ASSERT_TRUE(store.put_all(bans));
  EXPECT_EQ(store.transactions() - before, 1U);
  EXPECT_EQ(live(store, kNow).size(), 1000U);
  // All or nothing: one bad record and none of the batch is stored.
  bans.push_back(ban_of("", kNow + 60));
  bans[0].until = kNow + 999;
  EXPECT_FALSE(store.put_all(bans));
  EXPECT_EQ(live(store, kNow)[0].until, kNow + 60);
}

TEST(SqliteBanStore, RemoveExpiredIsBounded) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store);
  std::vector<BanRecord> bans;
  for (int i = 0; i < 25; ++i) bans.push_back(ban_of("192.0.2." + std::to_string(i), kNow + 60));
  ASSERT_TRUE(store->put_all(bans));
  EXPECT_EQ(*store->remove_expired(kNow + 60, 10), 10U);
  EXPECT_EQ(*store->remove_expired(kNow + 60, 10), 10U);
  EXPECT_EQ(*store->remove_expired(kNow + 60, 10), 5U);
  EXPECT_EQ(*store->remove_expired(kNow + 60, 10), 0U);
}

// A bans.db of the first schema (no change counter) keeps its bans and gains the counter.
TEST(SqliteBanStore, AFileOfTheFirstSchemaIsUpgraded) {
  TempDir dir;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / SqliteBanStore::kFileName).c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(
                  db,
                  "CREATE TABLE bans (address TEXT PRIMARY KEY NOT NULL, since INTEGER NOT NULL,"
                  " until INTEGER NOT NULL, offences INTEGER NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;"
                  "INSERT INTO bans VALUES ('192.0.2.7', 1700000000, 1700000060, 2, 'old');"
                  "PRAGMA user_version=1;",
                  nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto server = open_store(dir.path());
  auto tool = open_store(dir.path());
  ASSERT_TRUE(server && tool);
  EXPECT_EQ(live(*server, kNow), std::vector<BanRecord>{ban_of("192.0.2.7", kNow + 60, 2, "old")});
  ASSERT_TRUE(*tool->remove("192.0.2.7"));
  const auto lifted = changes(*server);
  ASSERT_EQ(lifted.size(), 1U);
  EXPECT_TRUE(lifted[0].removed);
}

TEST(SqliteBanStore, UnusableDataDirIsAnError) {
  TempDir dir;
  const auto file = dir.write("not-a-dir", "x");
  const auto store = open_ban_store(file);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find(file.string()), std::string::npos) << store.error();
}

}  // namespace
}  // namespace osprey::store
