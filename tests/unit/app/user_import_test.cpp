// `osprey user import`: accounts from "AOR PASSWORD" lines, all in one transaction.

#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "app/cmd_user.hpp"
#include "run_cli_capture.hpp"
#include "security/digest_hash.hpp"
#include "store/sqlite_user_store.hpp"
#include "temp_dir.hpp"

namespace osprey::app {
namespace {

using test_support::TempDir;

struct Output {
  int code;
  std::string out;
  std::string err;
};

Output import(const std::string& input, const std::string& data_dir, const std::string& config_file = "") {
  UserCommand command;
  command.action = UserAction::import_accounts;
  command.data_dir = data_dir;
  command.config_file = config_file;
  std::ostringstream out;
  std::ostringstream err;
  Streams streams{out, err};
  std::istringstream in(input);
  const int code = run_user(command, streams, in);
  return {code, out.str(), err.str()};
}

std::unique_ptr<store::UserStore> open_accounts(const std::filesystem::path& data_dir) {
  auto users = store::open_user_store(data_dir);
  EXPECT_TRUE(users) << users.error();
  return users ? std::move(*users) : nullptr;
}

std::string md5_ha1(const std::string& user, const std::string& realm, const std::string& password) {
  return *security::digest_ha1(sip::DigestAlgorithm::md5, user, realm, password);
}

TEST(UserImport, AddsEveryLine) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  const Output imported = import(
      "# accounts for the lab\n"
      "\n"
      "alice@example.com Circle of Life\r\n"
      "   \n"
      "sip:bob@Example.ORG b#not-a-comment\n",
      data);
  EXPECT_EQ(imported.code, kExitOk) << imported.err;
  EXPECT_EQ(imported.out, "imported 2 accounts\n");
  EXPECT_EQ(imported.err, "");

  const auto users = open_accounts(data);
  ASSERT_TRUE(users);
  EXPECT_EQ(users->size(), 2U);
  const auto alice = users->find("alice", "example.com");
  ASSERT_TRUE(alice);
  // The password is the rest of the line, spaces included, without the CR.
  EXPECT_EQ(alice->ha1.md5, md5_ha1("alice", "example.com", "Circle of Life"));
  EXPECT_EQ(alice->ha1.sha256,
            *security::digest_ha1(sip::DigestAlgorithm::sha256, "alice", "example.com", "Circle of Life"));
  const auto bob = users->find("bob", "example.org");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->ha1.md5, md5_ha1("bob", "example.org", "b#not-a-comment"));
}

TEST(UserImport, ReplacesTheCredentialsOfExistingAccounts) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  ASSERT_EQ(import("alice@example.com old\n", data).code, kExitOk);
  const Output again = import("alice@example.com new\ncarol@example.com c\n", data);
  EXPECT_EQ(again.code, kExitOk) << again.err;
  // Not silently: the accounts that existed are named.
  EXPECT_EQ(again.out,
            "imported 2 accounts\n1 of them existed already, password replaced: sip:alice@example.com\n");
  const auto users = open_accounts(data);
  ASSERT_TRUE(users);
  EXPECT_EQ(users->size(), 2U);
  EXPECT_EQ(users->find("alice", "example.com")->ha1.md5, md5_ha1("alice", "example.com", "new"));
}

TEST(UserImport, AnAorGivenTwiceIsRefusedNamingBothLines) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  // Two spellings of one account: the canonical AOR is what counts.
  const Output twice =
      import("alice@example.com one\nbob@example.com b\nsip:alice@EXAMPLE.com:5060 two\n", data);
  EXPECT_EQ(twice.code, kExitUsage);
  EXPECT_EQ(twice.err, "line 3: sip:alice@example.com: given already on line 1\n");
  EXPECT_EQ(twice.out, "");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(data) / "users.db"));
}

TEST(UserImport, ManyAccounts) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  std::string input;
  for (int i = 0; i < 1000; ++i)
    input += "user" + std::to_string(1'000'000 + i).substr(1) + "@127.0.0.1 secret\n";
  const Output imported = import(input, data);
  EXPECT_EQ(imported.code, kExitOk) << imported.err;
  EXPECT_EQ(imported.out, "imported 1000 accounts\n");
  const auto users = open_accounts(data);
  ASSERT_TRUE(users);
  EXPECT_EQ(users->size(), 1000U);
  const auto last = users->find("user000999", "127.0.0.1");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->ha1.md5, md5_ha1("user000999", "127.0.0.1", "secret"));
}

TEST(UserImport, ABadLineImportsNothing) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  const Output missing_password =
      import("alice@example.com a\n# fine\nbob@example.com\ncarol@example.com c\n", data);
  EXPECT_EQ(missing_password.code, kExitUsage);
  EXPECT_EQ(missing_password.out, "");
  EXPECT_EQ(missing_password.err, "line 3: expected 'AOR PASSWORD'\n");
  // Nothing was written, not even an empty users.db.
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(data) / "users.db"));

  EXPECT_EQ(import("alice@example.com \n", data).err, "line 1: the password is empty\n");
  EXPECT_EQ(import(" alice@example.com a\n", data).err, "line 1: expected 'AOR PASSWORD'\n");
  // The AOR is named, the password never is.
  const Output tel = import("alice@example.com a\ntel:+15551234 hunter2\n", data);
  EXPECT_EQ(tel.code, kExitUsage);
  EXPECT_EQ(tel.err, "line 2: 'tel:+15551234': not a sip: AOR\n");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(data) / "users.db"));
}

TEST(UserImport, WithAConfigOnlyItsDomains) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const std::string config =
      dir.write("osprey.toml", "data_dir = \"" + data.string() + "\"\ndomains = [\"example.com\"]\n")
          .string();
  const Output foreign = import("alice@example.com a\ncarol@example.net c\n", "", config);
  EXPECT_EQ(foreign.code, kExitUsage);
  EXPECT_EQ(foreign.err,
            "line 2: sip:carol@example.net: example.net is not one of the domains in " + config + "\n");

  const Output served = import("alice@example.com a\n", "", config);
  EXPECT_EQ(served.code, kExitOk) << served.err;
  const auto users = open_accounts(data);
  ASSERT_TRUE(users);
  EXPECT_TRUE(users->has_aor("sip:alice@example.com"));
}

TEST(UserImport, UsageErrorsExitTwo) {
  EXPECT_EQ(testing::run({"user", "import", "alice@example.com", "--data-dir", "x"}).code, kExitUsage);
  const Output nowhere = import("alice@example.com a\n", "");
  EXPECT_EQ(nowhere.code, kExitUsage);
  EXPECT_EQ(nowhere.err, "osprey user: give --config FILE or --data-dir DIR\n");
}

}  // namespace
}  // namespace osprey::app
