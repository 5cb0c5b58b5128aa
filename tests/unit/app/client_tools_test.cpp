#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/cli.hpp"
#include "app/cmd_message.hpp"
#include "client/outcome.hpp"
#include "run_cli_capture.hpp"

namespace osprey::app {
namespace {

using testing::CliResult;
using testing::run;

TEST(ClientTools, HelpDocumentsExitCodesAndTimeout) {
  for (const char* command : {"options", "register", "message"}) {
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

TEST(ClientTools, TlsIsRefusedForNow) {
  EXPECT_EQ(run({"options", "sip:127.0.0.1:1", "--transport", "tls"}).code, client::kExitBadUsage);
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
