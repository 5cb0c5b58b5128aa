// The Digest options of register, message and listen (app/auth_options.hpp).
#include <string>

#include <gtest/gtest.h>

#include "app/cmd_listen.hpp"
#include "client/outcome.hpp"
#include "run_cli_capture.hpp"
#include "temp_dir.hpp"

namespace osprey::app {
namespace {

using testing::CliResult;
using testing::run;

TEST(ClientAuthOptions, HelpListsUserPasswordAndPasswordFile) {
  for (const char* command : {"register", "message", "listen"}) {
    const CliResult result = run({command, "--help"});
    EXPECT_EQ(result.code, kExitOk) << command;
    for (const char* option : {"--user", "--password", "--password-file", "OSPREY_PASSWORD"})
      EXPECT_NE(result.out.find(option), std::string::npos) << command << " " << option;
  }
}

TEST(ClientAuthOptions, PasswordAndPasswordFileExcludeEachOther) {
  EXPECT_EQ(run({"register", "sip:alice@127.0.0.1", "--password", "x", "--password-file", "/tmp/p"}).code,
            kExitUsage);
}

TEST(ClientAuthOptions, AnUnreadablePasswordFileIsExit2NamingIt) {
  const CliResult result = run({"message", "sip:bob@127.0.0.1:1", "hi", "--from", "sip:alice@127.0.0.1",
                                "--password-file", "/nonexistent/password"});
  EXPECT_EQ(result.code, client::kExitBadUsage);
  EXPECT_NE(result.err.find("/nonexistent/password"), std::string::npos) << result.err;
}

TEST(ClientAuthOptions, ListenSettingsCarryTheAccount) {
  test_support::TempDir dir;
  ListenOptions options;
  options.aor = "sip:bob@127.0.0.1";
  options.account.password_file = dir.write("password", "s3cret\n").string();
  auto settings = listen_settings_of(options);
  ASSERT_TRUE(settings) << settings.error();
  ASSERT_TRUE(settings->client.account);
  EXPECT_EQ(settings->client.account->username, "bob");
  EXPECT_EQ(settings->client.account->password, "s3cret");
}

}  // namespace
}  // namespace osprey::app
