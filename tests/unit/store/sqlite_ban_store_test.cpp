#include "store/sqlite_ban_store.hpp"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

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

// What reload_if_changed says, as one comparable word.
std::string reload(BanStore& store) {
  const auto changed = store.reload_if_changed();
  if (!changed) return "error: " + changed.error();
  return *changed ? "changed" : "unchanged";
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
  EXPECT_TRUE(store->list(kNow).empty());
  ASSERT_TRUE(store->put(ban_of("2001:db8::1", kNow + 60)));
  ASSERT_TRUE(store->put(ban_of("192.0.2.7", kNow + 3600, 3, "REGISTER brute force")));
  ASSERT_TRUE(store->put(ban_of("10.0.0.1", kNow + 60)));

  const auto bans = store->list(kNow);
  EXPECT_EQ(addresses(bans), (std::vector<std::string>{"10.0.0.1", "192.0.2.7", "2001:db8::1"}));
  EXPECT_EQ(bans[1], ban_of("192.0.2.7", kNow + 3600, 3, "REGISTER brute force"));
}

TEST(SqliteBanStore, PutReplacesTheRecordOfAnAddress) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put(ban_of("192.0.2.7", kNow + 60)));
  ASSERT_TRUE(store->put(ban_of("192.0.2.7", kNow + 7200, 2, "again")));
  const auto bans = store->list(kNow);
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
  EXPECT_EQ(store->list(kNow + 59).size(), 2U);
  // Banned while now < until: at `until` itself the ban is over.
  EXPECT_EQ(addresses(store->list(kNow + 60)), std::vector<std::string>{"192.0.2.2"});
  EXPECT_TRUE(store->list(kNow + 120).empty());
}

TEST(SqliteBanStore, RemoveSaysWhetherThereWasABan) {
  TempDir dir;
  auto store = open_store(dir.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put(ban_of("192.0.2.1", kNow + 60)));
  const auto removed = store->remove("192.0.2.1");
  ASSERT_TRUE(removed) << removed.error();
  EXPECT_TRUE(*removed);
  EXPECT_TRUE(store->list(kNow).empty());
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
  const auto expired = store->remove_expired(kNow + 61);
  ASSERT_TRUE(expired) << expired.error();
  EXPECT_EQ(*expired, 2U);
  EXPECT_EQ(addresses(store->list(0)), std::vector<std::string>{"192.0.2.3"});  // gone from the file
  EXPECT_EQ(*store->remove_expired(kNow + 61), 0U);
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
  const auto bans = store->list(kNow);
  ASSERT_EQ(bans.size(), 1U);
  EXPECT_EQ(bans[0], ban_of("192.0.2.7", kNow + 60, 4, "toll fraud"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / SqliteBanStore::kFileName));
}

TEST(SqliteBanStore, ReloadPicksUpAnotherInstancesChanges) {
  TempDir dir;
  auto server = open_store(dir.path());
  auto tool = open_store(dir.path());  // as `osprey ban` in another process would
  ASSERT_TRUE(server && tool);
  // Opening records the schema version, a commit of its own: the server may see it once.
  EXPECT_NE(reload(*server).substr(0, 6), "error:");
  EXPECT_EQ(reload(*server), "unchanged");

  ASSERT_TRUE(tool->put(ban_of("192.0.2.7", kNow + 60)));
  EXPECT_TRUE(server->list(kNow).empty());  // not until the reload
  EXPECT_EQ(reload(*server), "changed");
  EXPECT_EQ(addresses(server->list(kNow)), std::vector<std::string>{"192.0.2.7"});
  EXPECT_EQ(reload(*server), "unchanged");

  // The tool lifts a ban the server made.
  ASSERT_TRUE(server->put(ban_of("198.51.100.1", kNow + 60)));
  EXPECT_EQ(reload(*server), "unchanged");  // its own change is no change to reload
  EXPECT_EQ(reload(*tool), "changed");
  ASSERT_TRUE(*tool->remove("198.51.100.1"));
  EXPECT_EQ(reload(*server), "changed");
  EXPECT_EQ(addresses(server->list(kNow)), std::vector<std::string>{"192.0.2.7"});

  ASSERT_TRUE(server->remove_expired(kNow + 60));
  EXPECT_EQ(reload(*tool), "changed");
  EXPECT_TRUE(tool->list(0).empty());
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
