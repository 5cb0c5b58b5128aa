#include "app/cmd_ban.hpp"

#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "run_cli_capture.hpp"
#include "store/sqlite_ban_store.hpp"
#include "temp_dir.hpp"

namespace osprey::app {
namespace {

using test_support::TempDir;
using testing::CliResult;
using testing::run;

constexpr std::int64_t kNow = 1'700'000'000;  // 2023-11-14T22:13:20Z

struct Output {
  int code;
  std::string out;
  std::string err;
};

Output ban(BanCommand command, const std::filesystem::path& data_dir, std::int64_t now = kNow) {
  command.data_dir = data_dir.string();
  std::ostringstream out;
  std::ostringstream err;
  Streams streams{out, err};
  const int code = run_ban(command, streams, now);
  return {code, out.str(), err.str()};
}

BanCommand add(const std::string& address, std::int64_t minutes = 60, const std::string& reason = "admin") {
  return {BanAction::add, address, minutes, reason, {}, {}};
}
BanCommand del(const std::string& address) { return {BanAction::del, address, 60, "admin", {}, {}}; }
BanCommand list() { return {}; }

std::unique_ptr<store::BanStore> open_bans(const std::filesystem::path& data_dir) {
  auto bans = store::open_ban_store(data_dir);
  EXPECT_TRUE(bans) << bans.error();
  return bans ? std::move(*bans) : nullptr;
}

TEST(BanCommand, AddListDel) {
  TempDir dir;
  const auto data = dir.path() / "data";
  EXPECT_EQ(ban(list(), data).out, "no bans\n");

  const Output added = ban(add("192.0.2.7", 90, "scanner"), data);
  EXPECT_EQ(added.code, kExitOk) << added.err;
  EXPECT_EQ(added.out, "192.0.2.7: banned until 2023-11-14T23:43:20Z (90 min)\n");
  ASSERT_EQ(ban(add("2001:DB8:0:0::1", 1), data).code, kExitOk);

  // 30 seconds later: 89.5 minutes left show as 90, 30 seconds as 1.
  const Output listed = ban(list(), data, kNow + 30);
  EXPECT_EQ(listed.code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out,
            "192.0.2.7  until 2023-11-14T23:43:20Z  90 min left  1 offence  scanner\n"
            "2001:db8::1  until 2023-11-14T22:14:20Z  1 min left  1 offence  admin\n");
  // What another process (the server) reads from bans.db.
  const auto bans = open_bans(data);
  ASSERT_TRUE(bans);
  const auto live = bans->list(kNow).value();
  ASSERT_EQ(live.size(), 2U);
  EXPECT_EQ(live[0], (store::BanRecord{"192.0.2.7", kNow, kNow + 90 * 60, 1, "scanner"}));

  const Output lifted = ban(del("192.0.2.7"), data);
  EXPECT_EQ(lifted.code, kExitOk) << lifted.err;
  EXPECT_EQ(lifted.out, "192.0.2.7: ban lifted\n");
  EXPECT_EQ(ban(list(), data).out, "2001:db8::1  until 2023-11-14T22:14:20Z  1 min left  1 offence  admin\n");
  EXPECT_EQ(ban(list(), data, kNow + 60).out, "no bans\n");  // over at `until`
}

TEST(BanCommand, AddressesAreStoredAsTheServerLooksThemUp) {
  TempDir dir;
  const auto data = dir.path() / "data";
  ASSERT_EQ(ban(add("::ffff:192.0.2.9"), data).code, kExitOk);
  ASSERT_EQ(ban(add("2001:0db8:0000::0001"), data).code, kExitOk);
  const auto bans = open_bans(data);
  ASSERT_TRUE(bans);
  const auto live = bans->list(kNow).value();
  ASSERT_EQ(live.size(), 2U);
  EXPECT_EQ(live[0].address, "192.0.2.9");
  EXPECT_EQ(live[1].address, "2001:db8::1");
  // del finds them under any spelling.
  EXPECT_EQ(ban(del("::ffff:192.0.2.9"), data).out, "192.0.2.9: ban lifted\n");
  EXPECT_EQ(ban(del("2001:db8:0::1"), data).out, "2001:db8::1: ban lifted\n");
}

TEST(BanCommand, DelLiftsABanTheServerMadeAndKeepsItsOffences) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const auto server = open_bans(data);
  ASSERT_TRUE(server);
  ASSERT_TRUE(server->put({"198.51.100.4", kNow - 10, kNow + 600, 3, "REGISTER brute force"}));

  // Banning it again by hand replaces the period and reason, not the count the server escalates by.
  ASSERT_EQ(ban(add("198.51.100.4", 5, "watch"), data).code, kExitOk);
  EXPECT_EQ(ban(list(), data).out,
            "198.51.100.4  until 2023-11-14T22:18:20Z  5 min left  3 offences  watch\n");

  EXPECT_EQ(ban(del("198.51.100.4"), data).code, kExitOk);
  ASSERT_TRUE(server->take_changes(100));
  EXPECT_TRUE(server->list(kNow).value().empty());
}

TEST(BanCommand, DelOfAnAddressNotBannedExitsOne) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const Output never = ban(del("192.0.2.7"), data);
  EXPECT_EQ(never.code, kExitFailure);
  EXPECT_EQ(never.out, "");
  EXPECT_EQ(never.err, "192.0.2.7: not banned\n");

  // An expired ban is no ban to lift.
  ASSERT_EQ(ban(add("192.0.2.8", 1), data).code, kExitOk);
  const Output expired = ban(del("192.0.2.8"), data, kNow + 60);
  EXPECT_EQ(expired.code, kExitFailure);
  EXPECT_EQ(expired.err, "192.0.2.8: not banned\n");
}

TEST(BanCommand, BadAddressExitsTwoAndTouchesNothing) {
  TempDir dir;
  const auto data = dir.path() / "data";
  for (const char* bad : {"192.0.2.300", "example.com", ""}) {
    const Output added = ban(add(bad), data);
    EXPECT_EQ(added.code, kExitUsage) << bad;
    EXPECT_EQ(added.err, "'" + std::string(bad) + "': not an IPv4 or IPv6 address\n");
    EXPECT_EQ(ban(del(bad), data).code, kExitUsage) << bad;
  }
  EXPECT_FALSE(std::filesystem::exists(data / store::SqliteBanStore::kFileName));
}

TEST(BanCommand, PrefixBansOfTheServerCanBeListedAddedAndLifted) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const auto server = open_bans(data);
  ASSERT_TRUE(server);
  ASSERT_TRUE(
      server->put({"198.51.100.0/24", kNow - 10, kNow + 600, 1, "16 banned addresses in the prefix"}));
  EXPECT_EQ(ban(list(), data).out,
            "198.51.100.0/24  until 2023-11-14T22:23:20Z  10 min left  1 offence  16 banned addresses in the "
            "prefix\n");
  EXPECT_EQ(ban(del("198.51.100.0/24"), data).out, "198.51.100.0/24: ban lifted\n");
  EXPECT_EQ(ban(add("2001:DB8:1:2::/64"), data).out,
            "2001:db8:1:2::/64: banned until 2023-11-14T23:13:20Z (60 min)\n");
  // Only the prefixes the server bans, named by their network.
  EXPECT_EQ(ban(add("10.0.0.0/16"), data).code, kExitUsage);
  EXPECT_EQ(ban(add("192.0.2.1/24"), data).err, "'192.0.2.1/24': host bits set\n");
  EXPECT_EQ(ban(add("::ffff:192.0.2.0/24"), data).code, kExitUsage);
}

// The reason is shown on administrators' terminals: no escape sequence or line break gets there.
TEST(BanCommand, AReasonWithControlCharactersIsRefused) {
  TempDir dir;
  const auto data = dir.path() / "data";
  for (const char* reason : {"scan\nner", "\x1b[2Jcleared", "tab\there", "del\x7f",
                             "c1 \xc2\x9b"
                             "31m"}) {
    const Output added = ban(add("192.0.2.7", 60, reason), data);
    EXPECT_EQ(added.code, kExitUsage) << reason;
    EXPECT_EQ(added.err, "--reason: control characters are not allowed\n");
  }
  EXPECT_EQ(ban(list(), data).out, "no bans\n");
  // UTF-8 text is fine.
  EXPECT_EQ(ban(add("192.0.2.7", 60, "escáner \xe2\x80\x94 blocked"), data).code, kExitOk);
  // One already in the file (written by hand with sqlite3) is shown with '?' for each.
  const auto bans = open_bans(data);
  ASSERT_TRUE(bans);
  ASSERT_TRUE(bans->put({"192.0.2.8", kNow, kNow + 60, 1, "a\x1b[31mb\nc"}));
  EXPECT_NE(
      ban(list(), data).out.find("192.0.2.8  until 2023-11-14T22:14:20Z  1 min left  1 offence  a?[31mb?c\n"),
      std::string::npos);
}

TEST(BanCommand, ThroughTheCommandLine) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  const CliResult added = run({"ban", "add", "192.0.2.7", "--data-dir", data});
  EXPECT_EQ(added.code, kExitOk) << added.err;
  EXPECT_EQ(added.out.rfind("192.0.2.7: banned until ", 0), 0U) << added.out;

  const CliResult listed = run({"ban", "list", "--data-dir", data});
  EXPECT_EQ(listed.code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out.rfind("192.0.2.7  until ", 0), 0U) << listed.out;
  EXPECT_NE(listed.out.find("  1 offence  admin\n"), std::string::npos) << listed.out;

  const std::string config =
      dir.write("osprey.toml", "data_dir = \"" + data + "\"\ndomains = [\"example.com\"]\n").string();
  const CliResult reason =
      run({"ban", "add", "192.0.2.8", "--minutes", "5", "--reason", "toll fraud", "-c", config});
  EXPECT_EQ(reason.code, kExitOk) << reason.err;
  EXPECT_NE(run({"ban", "list", "--data-dir", data}).out.find("192.0.2.8  until "), std::string::npos);

  EXPECT_EQ(run({"ban", "del", "192.0.2.7", "--data-dir", data}).out, "192.0.2.7: ban lifted\n");
  const CliResult again = run({"ban", "del", "192.0.2.7", "-c", config});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_EQ(again.err, "192.0.2.7: not banned\n");
}

TEST(BanCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(run({"ban"}).code, kExitUsage);
  EXPECT_EQ(run({"ban", "add", "--data-dir", "x"}).code, kExitUsage);  // no address
  EXPECT_EQ(run({"ban", "add", "192.0.2.7", "--minutes", "0", "--data-dir", "x"}).code, kExitUsage);
  EXPECT_EQ(run({"ban", "add", "192.0.2.7", "--minutes", "soon", "--data-dir", "x"}).code, kExitUsage);
  EXPECT_EQ(run({"ban", "frobnicate"}).code, kExitUsage);
  const CliResult nowhere = run({"ban", "list"});
  EXPECT_EQ(nowhere.code, kExitUsage);
  EXPECT_EQ(nowhere.err, "osprey ban: give --config FILE or --data-dir DIR\n");
}

}  // namespace
}  // namespace osprey::app
