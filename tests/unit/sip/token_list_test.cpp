#include "sip/token_list.hpp"

#include <gtest/gtest.h>

#include <utility>

#include "conformance_file.hpp"
#include "sip/message.hpp"

namespace osprey::sip {
namespace {

using test_files::read_conformance_file;
using Tokens = std::vector<std::string_view>;

using test_files::parse_message;

using test_files::request_with;

TEST(TokenList, Rfc3261Examples) {
  auto allow = parse_token_list("INVITE, ACK, OPTIONS, CANCEL, BYE", "Allow");  // §20.5
  ASSERT_TRUE(allow);
  EXPECT_EQ(*allow, (Tokens{"INVITE", "ACK", "OPTIONS", "CANCEL", "BYE"}));
  auto require = parse_token_list("100rel", "Require");  // §20.32
  ASSERT_TRUE(require);
  EXPECT_EQ(*require, (Tokens{"100rel"}));
  auto unsupported = parse_token_list("foo", "Unsupported");  // §20.40
  ASSERT_TRUE(unsupported);
  EXPECT_EQ(*unsupported, (Tokens{"foo"}));
  auto encoding = parse_token_list("gzip", "Content-Encoding");  // §20.12
  ASSERT_TRUE(encoding);
  EXPECT_EQ(*encoding, (Tokens{"gzip"}));
  auto language = parse_token_list("fr", "Content-Language");  // §20.13
  ASSERT_TRUE(language);
  EXPECT_EQ(*language, (Tokens{"fr"}));
}

TEST(TokenList, EmptyValueOnlyWhereTheGrammarAllowsIt) {
  for (std::string_view header : {"Allow", "Supported", "k", "Accept-Encoding", "Accept-Language"}) {
    auto list = parse_token_list("", header);
    ASSERT_TRUE(list) << header;
    EXPECT_TRUE(list->empty());
    EXPECT_TRUE(parse_token_list("  ", header)) << header;
  }
  for (std::string_view header :
       {"Require", "Proxy-Require", "Unsupported", "Allow-Events", "Content-Encoding", "Content-Language"}) {
    auto list = parse_token_list("", header, 12);
    ASSERT_FALSE(list) << header;
    EXPECT_EQ(list.error().header, header);
    EXPECT_EQ(list.error().offset, 12u);
    EXPECT_EQ(list.error().server_status, 400);
  }
}

TEST(TokenList, FoldedAndLwsSeparatedElements) {
  auto list = parse_token_list("timer ,\r\n  100rel,path\t,  gruu", "Supported");
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, (Tokens{"timer", "100rel", "path", "gruu"}));
}

TEST(TokenList, MalformedElementsAreRejected) {
  for (std::string_view v : {"a,,b", "a,", ",a", "foo bar", "a;b=c", "a/b", "\"quoted\"", "a, b c", "a@b"}) {
    auto list = parse_token_list(v, "Supported");
    ASSERT_FALSE(list) << v;
    EXPECT_EQ(list.error().header, "Supported");
    EXPECT_EQ(list.error().reason.rfind("Malformed Supported", 0), 0u);
  }
}

TEST(TokenList, AllowEventsUsesEventTypes) {
  auto list = parse_token_list("presence, presence.winfo, dialog, conference.a.b", "Allow-Events");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[1], "presence.winfo");
  for (std::string_view v : {".presence", "presence.", "presence..winfo", "a,.b"}) {
    EXPECT_FALSE(parse_token_list(v, "Allow-Events")) << v;
  }
}

TEST(TokenList, LanguageTags) {
  auto list = parse_token_list("en, fr-CA, zh-Hant-TW, abcdefgh", "Content-Language");
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, (Tokens{"en", "fr-CA", "zh-Hant-TW", "abcdefgh"}));
  for (std::string_view v : {"abcdefghi", "en-", "-en", "en--us", "e1", "en_US", "*"}) {
    EXPECT_FALSE(parse_token_list(v, "Content-Language")) << v;
  }
  auto accept = parse_token_list("da, en-gb;q=0.8, en;q=0.7, *;q=0", "Accept-Language");  // §20.3
  ASSERT_TRUE(accept) << accept.error().reason;
  EXPECT_EQ(*accept, (Tokens{"da", "en-gb", "en", "*"}));
  EXPECT_FALSE(parse_token_list("en;q=2", "Accept-Language"));
}

// Validation walks a list without keeping it (check_token_list): it must accept and refuse
// exactly what parse_token_list does, with the same error.
TEST(TokenList, CheckAgreesWithParse) {
  const std::pair<std::string_view, std::string_view> cases[] = {{"Allow", "INVITE, ACK, OPTIONS"},
                                                                 {"Allow", ""},
                                                                 {"Supported", "a,,b"},
                                                                 {"Supported", "timer ,\r\n  100rel"},
                                                                 {"Supported", "a b"},
                                                                 {"Require", ""},
                                                                 {"Allow-Events", "presence..winfo"},
                                                                 {"Allow-Events", "dialog"},
                                                                 {"Content-Language", "en--us"},
                                                                 {"Content-Language", "fr-CA"},
                                                                 {"Accept-Encoding", "gzip;q=1.5"},
                                                                 {"Accept-Encoding", "gzip;q=1.0, *;q=0"},
                                                                 {"Accept-Language", "en;q=2"},
                                                                 {"Accept-Language", "da, en-gb;q=0.8"},
                                                                 {"Unsupported", "foo,"}};
  for (const auto& [header, value] : cases) {
    auto parsed = parse_token_list(value, header, 7);
    auto checked = check_token_list(value, header, 7);
    ASSERT_EQ(parsed.has_value(), checked.has_value()) << header << ": " << value;
    if (!parsed) {
      EXPECT_EQ(parsed.error().reason, checked.error().reason) << value;
      EXPECT_EQ(parsed.error().offset, checked.error().offset) << value;
    }
  }
}

TEST(TokenList, AcceptEncodingWithParamsAndStar) {
  auto list = parse_token_list("gzip;q=1.0, identity; q=0.5, *;q=0", "Accept-Encoding");
  ASSERT_TRUE(list) << list.error().reason;
  EXPECT_EQ(*list, (Tokens{"gzip", "identity", "*"}));
  for (std::string_view v : {"gzip;q=1.5", "gzip;q=", "gzip;", "gzip;;q=1", "gzip x", "gzip;q=\"1\""}) {
    EXPECT_FALSE(parse_token_list(v, "Accept-Encoding")) << v;
  }
  // Parameters belong to Accept-Encoding only.
  EXPECT_FALSE(parse_token_list("gzip;q=1.0", "Content-Encoding"));
}

TEST(TokenList, ContainsTokenIgnoresCase) {
  Tokens list{"100rel", "Timer", "path"};
  EXPECT_TRUE(contains_token(list, "timer"));
  EXPECT_TRUE(contains_token(list, "100REL"));
  EXPECT_FALSE(contains_token(list, "gruu"));
  EXPECT_FALSE(contains_token(list, "time"));
  EXPECT_FALSE(contains_token({}, "timer"));
}

TEST(TokenList, GatherAcrossLinesAndCompactForms) {
  auto m =
      parse_message(request_with("Supported: 100rel\r\n"
                                 "k: timer, path\r\n"
                                 "Supported:\r\n"
                                 "Allow: INVITE, ACK\r\n"
                                 "u: presence, dialog\r\n"
                                 "e: gzip\r\n"
                                 "Require: sec-agree\r\n"));
  auto supported = token_list(m, HeaderId::supported);
  ASSERT_TRUE(supported) << supported.error().reason;
  EXPECT_EQ(*supported, (Tokens{"100rel", "timer", "path"}));
  auto events = token_list(m, HeaderId::allow_events);
  ASSERT_TRUE(events);
  EXPECT_EQ(*events, (Tokens{"presence", "dialog"}));
  auto encoding = token_list(m, HeaderId::content_encoding);
  ASSERT_TRUE(encoding);
  EXPECT_EQ(*encoding, (Tokens{"gzip"}));
  auto allow = token_list(m, HeaderId::allow);
  ASSERT_TRUE(allow);
  EXPECT_EQ(allow->size(), 2u);
  auto absent = token_list(m, HeaderId::unsupported);
  ASSERT_TRUE(absent);
  EXPECT_TRUE(absent->empty());
}

TEST(TokenList, GathererReportsTheBadLine) {
  auto m = parse_message(request_with("Require: 100rel\r\nRequire:\r\n"));
  auto list = token_list(m, HeaderId::require);
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().header, "Require");
}

TEST(TokenList, Rfc4475Bext01) {
  auto m = parse_message(read_conformance_file("rfc4475/valid/bext01.sip"));
  auto require = token_list(m, HeaderId::require);
  ASSERT_TRUE(require) << require.error().reason;
  EXPECT_EQ(*require, (Tokens{"nothingSupportsThis", "nothingSupportsThisEither"}));
  EXPECT_TRUE(contains_token(*require, "NOTHINGSUPPORTSTHIS"));
  auto proxy_require = token_list(m, HeaderId::proxy_require);
  ASSERT_TRUE(proxy_require);
  EXPECT_EQ(*proxy_require, (Tokens{"noProxiesSupportThis", "norDoAnyProxiesSupportThis"}));
}

}  // namespace
}  // namespace osprey::sip
