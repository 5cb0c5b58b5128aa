// `osprey rules test` without a live server: its command line, the trunk lookup, and the message
// read from stdin (LF line ends taken as CRLF). The rules themselves run in
// tests/interop/test_rules_cli.py against the real binary.
#include "app/cmd_rules.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "run_cli_capture.hpp"
#include "temp_dir.hpp"

namespace osprey::app {
namespace {

constexpr const char* kOptions =
    "OPTIONS sip:x@example.net SIP/2.0\n"
    "Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\n"
    "To: <sip:x@example.net>\n"
    "From: <sip:y@example.net>;tag=1\n"
    "Call-ID: 1@x\n"
    "CSeq: 1 OPTIONS\n"
    "Content-Length: 0\n"
    "\n";

class RulesCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = (dir_.path() / "osprey.toml").string();
    std::ofstream(config_)
        << "domains = [\"example.net\"]\n[[trunk]]\nname = \"carrier\"\npeer = \"sip:sip.carrier.example\"\n";
  }
  int run(const std::string& trunk, const std::string& message, std::string direction = "out") {
    RulesTestOptions options;
    options.config_file = config_;
    options.trunk = trunk;
    options.direction = std::move(direction);
    std::istringstream in(message);
    Streams streams{out_, err_};
    return run_rules_test(options, in, streams);
  }
  osprey::test_support::TempDir dir_;
  std::string config_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(RulesCommandTest, ATrunkWithoutRulesPrintsTheMessageUnchangedWithCrlf) {
  EXPECT_EQ(run("carrier", kOptions), kExitOk) << err_.str();
  EXPECT_EQ(out_.str().substr(0, 35), "OPTIONS sip:x@example.net SIP/2.0\r\n");
  EXPECT_NE(err_.str().find("has no rules_out"), std::string::npos) << err_.str();
  EXPECT_EQ(run("carrier", kOptions, "in"), kExitOk);
  EXPECT_NE(err_.str().find("has no rules_in"), std::string::npos) << err_.str();
}

TEST_F(RulesCommandTest, AnUnknownTrunkIsRefusedWithTheTrunksThereAre) {
  EXPECT_EQ(run("nobody", kOptions), kExitFailure);
  EXPECT_NE(err_.str().find("no trunk named 'nobody' (trunks: carrier)"), std::string::npos) << err_.str();
  EXPECT_EQ(out_.str(), "");
}

TEST_F(RulesCommandTest, AMessageThatDoesNotParseIsRefused) {
  EXPECT_EQ(run("carrier", "hello\n\n"), kExitFailure);
  EXPECT_NE(err_.str().find("does not parse"), std::string::npos) << err_.str();
}

TEST_F(RulesCommandTest, AConfigErrorIsPrintedWithItsLine) {
  std::ofstream(config_) << "domains = [\"example.net\"]\n[[trunk]]\nname = \"carrier\"\nper = \"x\"\n";
  EXPECT_EQ(run("carrier", kOptions), kExitFailure);
  EXPECT_NE(err_.str().find("osprey.toml:"), std::string::npos) << err_.str();
}

TEST(RulesCommandLineTest, TrunkIsRequiredAndDirectionIsInOrOut) {
  EXPECT_EQ(testing::run({"rules", "test"}).code, kExitUsage);
  EXPECT_EQ(testing::run({"rules"}).code, kExitUsage);
  EXPECT_EQ(testing::run({"rules", "test", "--trunk", "x", "--direction", "up"}).code, kExitUsage);
}

}  // namespace
}  // namespace osprey::app
