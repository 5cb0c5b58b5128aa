// The header rules as the configuration writes them: what each key becomes, and every mistake a
// config error naming its line.
#include "app/header_rules_config.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "sbc/header_rules.hpp"
#include "sip/message.hpp"

namespace osprey::app {
namespace {

struct Read {
  std::shared_ptr<const sbc::HeaderRules> rules;
  std::optional<ConfigError> error;
};

// `text` holds `[[rules]]` tables (or `rules = [...]`), read as trunk[0].rules_out.
Read read(std::string_view text) {
  const toml::table document = toml::parse(text, std::string_view("test.toml"));
  ReadState state;
  state.file = "test.toml";
  const toml::array* rules = document["rules"].as_array();
  EXPECT_NE(rules, nullptr);
  auto read_rules = read_header_rules(state, *rules, "trunk[0].rules_out");
  return Read{read_rules, state.first_error};
}

// The error's "line: key: message", for compact expectations.
std::string error_of(std::string_view text) {
  Read result = read(text);
  EXPECT_FALSE(result.rules);
  if (!result.error) return "no error";
  return std::to_string(result.error->line) + ": " + result.error->key + ": " + result.error->message;
}

const char* const kInvite =
    "INVITE sip:02071234567@sbc.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:02071234567@sbc.example.net>\r\n"
    "From: \"Alice\" <sip:alice@pbx.internal>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pbx.internal\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@10.0.0.5:5060>\r\n"
    "P-Asserted-Identity: <sip:+442071112222@pbx.internal>\r\n"
    "X-Internal-Route: trunk7\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

std::string apply(const Read& result, const char* text = kInvite) {
  EXPECT_TRUE(result.rules) << (result.error ? result.error->message : "");
  if (!result.rules) return {};
  auto message = sip::Message::parse(text);
  auto applied = result.rules->apply(*message);
  if (!applied) return "error: " + applied.error();
  return message->serialize();
}

TEST(HeaderRulesConfigTest, TheCarrierExampleOfTheDocumentation) {
  const Read result = read(R"(
[[rules]]
name = "national numbers to E.164"
message = "request"
methods = ["INVITE"]
when = [{ header = "Request-URI", part = "user", regex = '^0([1-9]\d+)$' }]
actions = [
  { action = "set", header = "Request-URI", part = "user", value = "+44$1" },
  { action = "set", header = "To", part = "user", value = "+44$1" },
]

[[rules]]
name = "PAI to From"
present = ["P-Asserted-Identity"]
[[rules.actions]]
action = "copy"
from = "P-Asserted-Identity"
from_part = "uri"
header = "From"
part = "uri"

[[rules]]
name = "strip internal headers"
[[rules.actions]]
action = "remove"
header = "X-Internal-Route"
)");
  const std::string out = apply(result);
  EXPECT_NE(out.find("INVITE sip:+442071234567@sbc.example.net SIP/2.0\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("To: <sip:+442071234567@sbc.example.net>\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("From: \"Alice\" <sip:+442071112222@pbx.internal>;tag=1928301774\r\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("X-Internal-Route"), std::string::npos) << out;
}

TEST(HeaderRulesConfigTest, EveryActionAndMatchKeyIsRead) {
  const Read result = read(R"(
[[rules]]
message = "any"
status = ["2xx", "180"]
absent = ["X-Never"]
when = [{ header = "From", part = "param", param = "transport", equals = "", negate = true }]
actions = [
  { action = "add", header = "X-A", value = "1" },
  { action = "replace", header = "X-A", regex = '(\d)', value = "<$1>" },
  { action = "rename", header = "X-A", to = "X-B" },
  { action = "unset", header = "From", part = "header-param", param = "x" },
  { action = "strip-prefix", header = "To", value = "+" },
  { action = "add-prefix", header = "To", part = "user", value = "00" },
  { action = "allow", headers = ["X-B"] },
  { action = "body-replace", regex = 'IN IP4 10\.\S+', value = "IN IP4 203.0.113.9" },
]
)");
  const char* const ok =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\r\n"
      "To: <sip:+44123@x.example>;tag=2\r\nFrom: <sip:a@x.example>;tag=1\r\n"
      "Call-ID: 1@x\r\nCSeq: 1 INVITE\r\nServer: x/1\r\nContent-Length: 17\r\n\r\nc=IN IP4 10.0.0.1";
  const std::string out = apply(result, ok);
  EXPECT_NE(out.find("X-B: <1>\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("To: <sip:0044123@x.example>;tag=2\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Server"), std::string::npos) << out;
  EXPECT_NE(out.find("c=IN IP4 203.0.113.9"), std::string::npos) << out;
}

TEST(HeaderRulesConfigTest, AnEmptyListIsNoRules) {
  const Read result = read("rules = []\n");
  EXPECT_FALSE(result.rules);
  EXPECT_FALSE(result.error);
}

TEST(HeaderRulesConfigTest, ABadRegularExpressionNamesItsLine) {
  EXPECT_EQ(error_of(R"(
[[rules]]
when = [{ header = "From", regex = '(unclosed' }]
actions = [{ action = "remove", header = "X-A" }]
)"),
            "3: trunk[0].rules_out[0].when[0].regex: bad regular expression: missing ): (unclosed");
  EXPECT_EQ(error_of(R"(
[[rules]]
[[rules.actions]]
action = "body-replace"
value = ""
regex = 'a{2000}'
)")
                .substr(0, 40),
            "6: trunk[0].rules_out[0].actions[0].rege");
}

TEST(HeaderRulesConfigTest, UnknownKeysAreRefusedWithTheirLine) {
  EXPECT_EQ(error_of(R"(
[[rules]]
methods = ["INVITE"]
metods = ["BYE"]
actions = [{ action = "remove", header = "X-A" }]
)")
                .substr(0, 38),
            "4: trunk[0].rules_out[0].metods: unkno");
  // A key another action takes is unknown to this one.
  EXPECT_EQ(error_of(R"(
[[rules]]
actions = [
  { action = "add", header = "X-A", value = "1", regex = "x" },
]
)")
                .substr(0, 47),
            "4: trunk[0].rules_out[0].actions[0].regex: unkn");
}

TEST(HeaderRulesConfigTest, ForbiddenActionsAreConfigErrors) {
  EXPECT_EQ(error_of(R"(
[[rules]]
[[rules.actions]]
action = "remove"
header = "Via"
)")
                .substr(0, 57),
            "5: trunk[0].rules_out[0].actions[0].header: no rule may r");
  EXPECT_NE(error_of(R"(
[[rules]]
actions = [{ action = "set", header = "From", part = "header-param", param = "tag", value = "x" }]
)")
                .find("tag"),
            std::string::npos);
}

TEST(HeaderRulesConfigTest, MistakesInValuesAndMatches) {
  // $2 with one group.
  EXPECT_EQ(error_of(R"(
[[rules]]
when = [{ header = "To", part = "user", regex = '^(\d+)$' }]
actions = [{ action = "set", header = "To", part = "user", value = "+$2" }]
)")
                .substr(0, 42),
            "4: trunk[0].rules_out[0].actions[0].value:");
  EXPECT_EQ(error_of(R"(
[[rules]]
status = ["2x"]
actions = [{ action = "remove", header = "X-A" }]
)")
                .substr(0, 34),
            "3: trunk[0].rules_out[0].status: '");
  EXPECT_EQ(error_of(R"(
[[rules]]
methods = ["invite"]
actions = [{ action = "remove", header = "X-A" }]
)")
                .substr(0, 35),
            "3: trunk[0].rules_out[0].methods: '");
  EXPECT_EQ(error_of(R"(
[[rules]]
present = ["X A"]
actions = [{ action = "remove", header = "X-A" }]
)")
                .substr(0, 35),
            "3: trunk[0].rules_out[0].present: '");
  EXPECT_EQ(error_of(R"(
[[rules]]
name = "nothing to do"
)")
                .substr(0, 34),
            "2: trunk[0].rules_out[0].actions: ");
  EXPECT_EQ(error_of(R"(
[[rules]]
actions = [{ action = "frobnicate", header = "X-A" }]
)")
                .substr(0, 42),
            "3: trunk[0].rules_out[0].actions[0].action");
  EXPECT_EQ(error_of(R"(
[[rules]]
actions = [{ action = "set", header = "To", part = "param", value = "x" }]
)")
                .substr(0, 41),
            "3: trunk[0].rules_out[0].actions[0].part:");
  EXPECT_EQ(error_of(R"(
[[rules]]
actions = [{ action = "add", header = "X-A", value = "a\r\nVia: x" }]
)")
                .substr(0, 43),
            "3: trunk[0].rules_out[0].actions[0].header:");
}

}  // namespace
}  // namespace osprey::app

namespace osprey::app {
namespace {

// Every TOML example of docs/header-rules.md loads: the users' reference cannot drift from the
// reader.
TEST(HeaderRulesConfigTest, TheDocumentationExamplesLoad) {
  std::ifstream file(std::string(OSPREY_SOURCE_DIR) + "/docs/header-rules.md");
  ASSERT_TRUE(file);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::size_t examples = 0;
  for (std::size_t at = text.find("```toml\n"); at != std::string::npos; at = text.find("```toml\n", at)) {
    at += 8;
    const std::size_t end = text.find("```", at);
    const std::string block = text.substr(at, end - at);
    const toml::table document = toml::parse(block, std::string_view("header-rules.md"));
    const toml::node* trunk = document.get("trunk");
    ASSERT_NE(trunk, nullptr) << block;
    const toml::table* table = trunk->is_array() ? trunk->as_array()->get(0)->as_table() : trunk->as_table();
    for (const char* direction : {"rules_in", "rules_out"}) {
      const toml::array* rules = table->get_as<toml::array>(direction);
      if (rules == nullptr) continue;
      ReadState state;
      EXPECT_TRUE(read_header_rules(state, *rules, direction)) << block;
      EXPECT_FALSE(state.first_error) << block << (state.first_error ? to_string(*state.first_error) : "");
      ++examples;
    }
  }
  EXPECT_GE(examples, 7u);
}

}  // namespace
}  // namespace osprey::app
