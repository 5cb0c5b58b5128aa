#include "app/cmd_user.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "run_cli_capture.hpp"
#include "security/digest_hash.hpp"
#include "store/sqlite_user_store.hpp"
#include "temp_dir.hpp"

namespace osprey::app {
namespace {

using test_support::TempDir;
using testing::CliResult;
using testing::run;

constexpr const char* kPassword = "Circle of Life";

// A config serving example.com whose data_dir is inside `dir`.
std::string write_config(const TempDir& dir) {
  const auto data = (dir.path() / "data").string();
  return dir.write("osprey.toml", "data_dir = \"" + data + "\"\ndomains = [\"example.com\"]\n").string();
}

std::string db_bytes(const std::filesystem::path& data_dir) {
  std::string bytes;
  for (const char* name : {"users.db", "users.db-wal"}) {
    std::ifstream in(data_dir / name, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

std::unique_ptr<store::UserStore> open_accounts(const std::filesystem::path& data_dir) {
  auto users = store::open_user_store(data_dir);
  EXPECT_TRUE(users) << users.error();
  return users ? std::move(*users) : nullptr;
}

TEST(UserCommand, AddStoresHa1ValuesNeverThePassword) {
  TempDir dir;
  const std::string config = write_config(dir);
  const CliResult added =
      run({"user", "add", "alice@example.com", "--password", kPassword, "--config", config});
  EXPECT_EQ(added.code, kExitOk) << added.err;
  EXPECT_EQ(added.out, "sip:alice@example.com: added\n");
  EXPECT_EQ(added.err, "");

  const auto users = open_accounts(dir.path() / "data");
  ASSERT_TRUE(users);
  const auto alice = users->find("alice", "example.com");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->ha1.md5,
            security::digest_ha1(sip::DigestAlgorithm::md5, "alice", "example.com", kPassword));
  EXPECT_EQ(alice->ha1.sha256,
            security::digest_ha1(sip::DigestAlgorithm::sha256, "alice", "example.com", kPassword));
  const std::string bytes = db_bytes(dir.path() / "data");
  EXPECT_NE(bytes.find(alice->ha1.sha256), std::string::npos);  // the right bytes were read
  EXPECT_EQ(bytes.find(kPassword), std::string::npos);
}

TEST(UserCommand, AddListPasswdDelThroughTheCommandLine) {
  TempDir dir;
  const std::string data = (dir.path() / "accounts").string();
  EXPECT_EQ(run({"user", "add", "sip:bob@example.org", "--password", "b", "--data-dir", data}).code, kExitOk);
  EXPECT_EQ(run({"user", "add", "alice@example.com", "--password", "a", "--data-dir", data}).code, kExitOk);

  const CliResult listed = run({"user", "list", "--data-dir", data});
  EXPECT_EQ(listed.code, kExitOk) << listed.err;
  EXPECT_EQ(listed.out, "sip:alice@example.com\nsip:bob@example.org\n");

  const auto before = open_accounts(data)->find("alice", "example.com");
  const CliResult changed =
      run({"user", "passwd", "alice@example.com", "--password", "new", "--data-dir", data});
  EXPECT_EQ(changed.code, kExitOk) << changed.err;
  EXPECT_EQ(changed.out, "sip:alice@example.com: password changed\n");
  const auto after = open_accounts(data)->find("alice", "example.com");
  ASSERT_TRUE(before && after);
  EXPECT_NE(before->ha1, after->ha1);
  EXPECT_EQ(after->ha1.md5, security::digest_ha1(sip::DigestAlgorithm::md5, "alice", "example.com", "new"));

  const CliResult removed = run({"user", "del", "alice@example.com", "--data-dir", data});
  EXPECT_EQ(removed.code, kExitOk) << removed.err;
  EXPECT_EQ(removed.out, "sip:alice@example.com: removed\n");
  EXPECT_EQ(run({"user", "list", "--data-dir", data}).out, "sip:bob@example.org\n");
}

TEST(UserCommand, FailuresAreOneLineAndExitOne) {
  TempDir dir;
  const std::string config = write_config(dir);
  ASSERT_EQ(run({"user", "add", "alice@example.com", "--password", "a", "-c", config}).code, kExitOk);

  const CliResult again = run({"user", "add", "alice@example.com", "--password", "a", "-c", config});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_EQ(again.err, "sip:alice@example.com: exists already\n");

  const CliResult foreign = run({"user", "add", "carol@example.net", "--password", "c", "-c", config});
  EXPECT_EQ(foreign.code, kExitFailure);
  EXPECT_EQ(foreign.err, "sip:carol@example.net: example.net is not one of the domains in " + config + "\n");

  const CliResult missing = run({"user", "del", "bob@example.com", "-c", config});
  EXPECT_EQ(missing.code, kExitFailure);
  EXPECT_EQ(missing.err, "sip:bob@example.com: no such user\n");

  const CliResult no_user = run({"user", "passwd", "bob@example.com", "--password", "b", "-c", config});
  EXPECT_EQ(no_user.code, kExitFailure);
  EXPECT_EQ(no_user.err, "sip:bob@example.com: no such user\n");

  const CliResult tel = run({"user", "add", "tel:+15551234", "--password", "t", "-c", config});
  EXPECT_EQ(tel.code, kExitFailure);
  EXPECT_EQ(tel.err, "'tel:+15551234': not a sip: AOR\n");

  // An absurd AOR is refused, in one short line, and nothing is stored.
  const std::string huge(100'000, 'x');
  const CliResult absurd = run({"user", "add", huge + "@example.com", "--password", "x", "-c", config});
  EXPECT_EQ(absurd.code, kExitFailure);
  EXPECT_EQ(absurd.err, "'sip:" + huge.substr(0, 60) + "...': an AOR is at most 256 bytes (100016 given)\n");
  EXPECT_EQ(run({"user", "list", "-c", config}).out, "sip:alice@example.com\n");

  const CliResult empty = run({"user", "add", "dave@example.com", "--password", "", "-c", config});
  EXPECT_EQ(empty.code, kExitFailure);
  EXPECT_EQ(empty.err, "the password is empty\n");

  const CliResult bad_config = run({"user", "list", "-c", (dir.path() / "absent.toml").string()});
  EXPECT_EQ(bad_config.code, kExitFailure);
  EXPECT_EQ(bad_config.out, "");
  EXPECT_NE(bad_config.err.find("absent.toml"), std::string::npos) << bad_config.err;
}

TEST(UserCommand, DataDirOverridesTheConfigs) {
  TempDir dir;
  const std::string config = write_config(dir);
  const std::string other = (dir.path() / "elsewhere").string();
  ASSERT_EQ(
      run({"user", "add", "alice@example.com", "--password", "a", "-c", config, "--data-dir", other}).code,
      kExitOk);
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(other) / "users.db"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data" / "users.db"));
}

TEST(UserCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(run({"user"}).code, kExitUsage);
  EXPECT_EQ(run({"user", "add", "--data-dir", "x"}).code, kExitUsage);  // no AOR
  EXPECT_EQ(run({"user", "frobnicate"}).code, kExitUsage);
  const CliResult nowhere = run({"user", "list"});
  EXPECT_EQ(nowhere.code, kExitUsage);
  EXPECT_EQ(nowhere.err, "osprey user: give --config FILE or --data-dir DIR\n");
}

TEST(UserCommand, PasswordFromStandardInput) {
  TempDir dir;
  UserCommand command;
  command.action = UserAction::add;
  command.aor = "alice@example.com";
  command.data_dir = (dir.path() / "data").string();
  std::ostringstream out;
  std::ostringstream err;
  Streams streams{out, err};
  std::istringstream in("from stdin\r\nignored\n");
  EXPECT_EQ(run_user(command, streams, in), kExitOk) << err.str();
  EXPECT_EQ(err.str(), "");  // not a terminal: no prompt
  const auto alice = open_accounts(command.data_dir)->find("alice", "example.com");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->ha1.md5,
            security::digest_ha1(sip::DigestAlgorithm::md5, "alice", "example.com", "from stdin"));

  command.action = UserAction::passwd;
  std::istringstream nothing("");
  EXPECT_EQ(run_user(command, streams, nothing), kExitFailure);
  EXPECT_EQ(err.str(), "no password: give --password or one line on standard input\n");
}

}  // namespace
}  // namespace osprey::app
