#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/cli.hpp"
#include "app/cmd_listen.hpp"
#include "app/cmd_message.hpp"
#include "client/outcome.hpp"
#include "run_cli_capture.hpp"

namespace osprey::app {
namespace {

using testing::CliResult;
using testing::run;

TEST(ClientTools, HelpDocumentsExitCodesAndTimeout) {
  for (const char* command : {"options", "register", "message", "listen"}) {
    const CliResult result = run({command, "--help"});
    EXPECT_EQ(result.code, kExitOk) << command;
    EXPECT_NE(result.out.find("Exit codes"), std::string::npos) << command;
    EXPECT_NE(result.out.find("--timeout"), std::string::npos) << command;
    EXPECT_NE(result.out.find("--transport"), std::string::npos) << command;
  }
}

TEST(ClientTools, BadUriIsExit2) {
  const CliResult result = run({"options", "not-a-uri"});
  EXPECT_EQ(result.code, client::kExitBadUsage);
  EXPECT_NE(result.err.find("not a SIP URI"), std::string::npos) << result.err;
}

TEST(ClientTools, UnknownTransportIsExit2) {
  EXPECT_EQ(run({"options", "sip:127.0.0.1", "--transport", "sctp"}).code, kExitUsage);
}

TEST(ClientTools, TlsWithAnUnreadableCaFileIsExit2NamingIt) {
  const CliResult result =
      run({"options", "sip:127.0.0.1:1", "--transport", "tls", "--ca-file", "/nonexistent/ca.pem"});
  EXPECT_EQ(result.code, client::kExitBadUsage);
  EXPECT_NE(result.err.find("/nonexistent/ca.pem"), std::string::npos) << result.err;
}

TEST(ClientTools, ListenHelpHasCountCaFileAndExitCodes) {
  const CliResult result = run({"listen", "--help"});
  EXPECT_EQ(result.code, kExitOk);
  for (const char* text : {"--count", "--ca-file", "--expires", "--server", "Exit codes"})
    EXPECT_NE(result.out.find(text), std::string::npos) << text;
}

TEST(ClientTools, ListenOptionsBecomeSettings) {
  ListenOptions options;
  options.aor = "sip:bob@127.0.0.1";
  options.expires = 60;
  options.count = 2;
  options.client.server = "127.0.0.1:5060";
  options.client.transport = "tls";
  options.client.ca_file = "/etc/osprey/ca.pem";
  auto settings = listen_settings_of(options);
  ASSERT_TRUE(settings) << settings.error();
  EXPECT_EQ(settings->aor, "sip:bob@127.0.0.1");
  EXPECT_EQ(settings->expires, 60u);
  EXPECT_EQ(settings->count, 2u);
  EXPECT_EQ(settings->client.ca_file, "/etc/osprey/ca.pem");
  EXPECT_EQ(settings->client.transport, net::Protocol::tls);
  options.expires = 0;
  EXPECT_FALSE(listen_settings_of(options));
}

TEST(ClientTools, ListenNeedsAUserAor) {
  const CliResult result = run({"listen", "sip:127.0.0.1", "--server", "127.0.0.1:1"});
  EXPECT_EQ(result.code, client::kExitBadUsage);
  EXPECT_NE(result.err.find("address-of-record"), std::string::npos) << result.err;
  EXPECT_EQ(run({"listen", "sip:bob@127.0.0.1", "--count", "x"}).code, kExitUsage);
}

TEST(ClientTools, ListenToADeadServerIsExit3) {
  // Nothing listens on TCP port 1 of 127.0.0.1: the REGISTER fails at once.
  const CliResult result =
      run({"listen", "sip:bob@127.0.0.1", "--server", "127.0.0.1:1", "--transport", "tcp", "--timeout", "5"});
  EXPECT_EQ(result.code, client::kExitNoAnswer) << result.err;
  EXPECT_NE(result.err.find("unreachable"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(ClientTools, MessageNeedsASipFrom) {
  std::istringstream input("unused");
  std::ostringstream out;
  std::ostringstream err;
  Streams streams{out, err};
  MessageOptions options;
  options.target = "sip:bob@127.0.0.1";
  options.text = "-";
  options.from = "alice";
  EXPECT_EQ(run_message(options, input, streams), client::kExitBadUsage);
  EXPECT_NE(err.str().find("not a SIP URI"), std::string::npos);
}

TEST(ClientTools, MessageRequiresFrom) {
  EXPECT_EQ(run({"message", "sip:bob@127.0.0.1", "hi"}).code, kExitUsage);
}

}  // namespace
}  // namespace osprey::app
