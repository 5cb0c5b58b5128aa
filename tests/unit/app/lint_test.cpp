// `osprey lint`: the user-facing reading of a message, checked on the conformance messages.

#include "app/cmd_lint.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace osprey::app {
namespace {

namespace fs = std::filesystem;

const fs::path kConformance = fs::path(OSPREY_SOURCE_DIR) / "tests" / "conformance";

struct LintRun {
  int code;
  std::string out;
  std::string err;
};

LintRun lint(const LintOptions& options, const std::string& stdin_text = {}) {
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  Streams streams{out, err};
  int code = run_lint(options, in, streams);
  return {code, out.str(), err.str()};
}

TEST(Lint, JsonClassifiesEveryConformanceMessageByItsFolder) {
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kConformance)) {
    if (entry.path().extension() != ".sip") continue;
    bool expect_valid = entry.path().parent_path().filename() == "valid";
    LintOptions options;
    options.file = entry.path().string();
    options.json = true;
    LintRun run = lint(options);
    auto j = nlohmann::json::parse(run.out);
    EXPECT_EQ(j["valid"].get<bool>(), expect_valid) << entry.path() << "\n" << run.out;
    EXPECT_EQ(run.code, expect_valid ? kExitOk : kExitFailure) << entry.path();
    if (!expect_valid) {
      EXPECT_FALSE(j["error"].is_null()) << entry.path();
    }
    ++checked;
  }
  EXPECT_EQ(checked, 61);
}

TEST(Lint, JsonCarriesTheFieldsOfTheIssue) {
  LintOptions options;
  options.file = (kConformance / "rfc4475" / "valid" / "unkscm.sip").string();
  options.json = true;
  auto j = nlohmann::json::parse(lint(options).out);
  EXPECT_EQ(j["kind"], "request");
  EXPECT_EQ(j["method"], "OPTIONS");
  EXPECT_TRUE(j["status"].is_null());
  EXPECT_EQ(j["server_status"], 416);
  EXPECT_TRUE(j["error"].is_null());
  ASSERT_TRUE(j["headers"].is_array());
  EXPECT_EQ(j["headers"][0]["name"], "To");
  EXPECT_EQ(j["headers"][0]["typed"]["uri"]["user"], "user");
}

TEST(Lint, ReportsTheDefectWithOffsetAndHeader) {
  LintOptions options;
  options.file = (kConformance / "rfc4475" / "invalid" / "scalar02.sip").string();
  options.json = true;
  LintRun run = lint(options);
  auto j = nlohmann::json::parse(run.out);
  EXPECT_FALSE(j["valid"].get<bool>());
  EXPECT_EQ(j["server_status"], 400);
  EXPECT_EQ(j["error"]["header"], "CSeq");
  EXPECT_GT(j["error"]["offset"].get<std::size_t>(), 0u);
  EXPECT_EQ(run.code, kExitFailure);
}

TEST(Lint, ResponsesAreDroppedNotAnswered) {
  LintOptions options;
  options.file = (kConformance / "rfc4475" / "invalid" / "bigcode.sip").string();
  options.json = true;
  auto j = nlohmann::json::parse(lint(options).out);
  EXPECT_FALSE(j["valid"].get<bool>());
  EXPECT_TRUE(j["server_status"].is_null());
}

TEST(Lint, ReadsStdinAndPrintsText) {
  LintOptions options;  // file "-" = stdin, text output
  LintRun run = lint(options,
                     "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
                     "To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=1\r\nCall-ID: c\r\n"
                     "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_NE(run.out.find("OPTIONS sip:a@example.com SIP/2.0  (request)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"branch\":\"z9hG4bK1\""), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("valid; a server processes it"), std::string::npos) << run.out;
}

TEST(Lint, UnreadableFileIsAUsageError) {
  LintOptions options;
  options.file = "/nonexistent/trace.sip";
  LintRun run = lint(options);
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_NE(run.err.find("cannot read"), std::string::npos);
}

TEST(Lint, StreamFramingNeedsContentLength) {
  LintOptions options;
  options.file = (kConformance / "rfc4475" / "valid" / "inv2543.sip").string();
  options.stream = true;
  options.json = true;
  auto j = nlohmann::json::parse(lint(options).out);
  EXPECT_FALSE(j["valid"].get<bool>());
  EXPECT_EQ(j["error"]["category"], "content_length");
}

}  // namespace
}  // namespace osprey::app
