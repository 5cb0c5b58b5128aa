#include "sip/session_timer_headers.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"

namespace osprey::sip {
namespace {

using test_files::expect_malformed;
using test_files::parse_message;
using test_files::request_with;

TEST(SessionTimerHeaders, FormatSessionExpires) {
  EXPECT_EQ(format_session_expires(1800), "1800");
  EXPECT_EQ(format_session_expires(1800, Refresher::uac), "1800;refresher=uac");
  EXPECT_EQ(format_session_expires(90, Refresher::uas), "90;refresher=uas");
  EXPECT_EQ(format_min_se(90), "90");
}

TEST(SessionTimerHeaders, FormatKeepsGenericParametersAndCanonicalRefresher) {
  auto parsed = parse_session_expires("4000 ; x-foo = bar ;Refresher=UAC;flag");
  ASSERT_TRUE(parsed) << parsed.error().reason;
  std::string written = format_session_expires(*parsed);
  EXPECT_EQ(written, "4000;refresher=uac;x-foo=bar;flag");
  auto again = parse_session_expires(written);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->seconds, 4000u);
  EXPECT_EQ(again->refresher, Refresher::uac);
}

TEST(SessionTimerHeaders, CompactFormIsSessionExpires) {
  // RFC 4028 §4: "x" is the compact form.
  auto m = parse_message(request_with("x: 600;refresher=uas\r\n"));
  auto se = session_expires(m);
  ASSERT_TRUE(se && *se);
  EXPECT_EQ((*se)->seconds, 600u);
  EXPECT_EQ((*se)->refresher, Refresher::uas);
}

TEST(SessionTimerHeaders, MalformedIsA400NamingTheHeader) {
  for (std::string_view bad :
       {"", "abc", "-90", "1800;refresher=both", "1800;refresher", "1800;", "1800 1800", "4294967296",
        "1800;refresher=uac;refresher=uas", "1800;refresher=uac;REFRESHER=uac"}) {
    auto e = parse_session_expires(bad);
    ASSERT_FALSE(e) << bad;
    expect_malformed(e.error(), "Session-Expires");
  }
  for (std::string_view bad : {"", "ninety", "90;", "90 90"}) {
    auto e = parse_min_se(bad);
    ASSERT_FALSE(e) << bad;
    expect_malformed(e.error(), "Min-SE");
  }
}

TEST(SessionTimerHeaders, TwoSessionExpiresLinesAreAnError) {
  auto m = parse_message(request_with("Session-Expires: 1800\r\nx: 90\r\n"));
  EXPECT_FALSE(session_expires(m));
}

TEST(SessionTimerHeaders, ValuesBelowNinetyParseAndMinSEReadsAsNinety) {
  // Well-formed: a UAS answers a small Session-Expires with 422 (RFC 4028 §9), not 400.
  auto small = parse_session_expires("30");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->seconds, 30u);
  // RFC 4028 §5: Min-SE is 90 when absent and must not be below 90.
  EXPECT_EQ(effective_min_se(std::nullopt), kMinimumSessionInterval);
  EXPECT_EQ(effective_min_se(MinSE{10, {}}), 90u);
  EXPECT_EQ(effective_min_se(MinSE{0, {}}), 90u);
  EXPECT_EQ(effective_min_se(MinSE{600, {}}), 600u);
}

TEST(SessionTimerHeaders, TimerOptionTag) {
  EXPECT_TRUE(supports_timer(parse_message(request_with("Supported: 100rel, TIMER\r\n"))));
  EXPECT_TRUE(supports_timer(parse_message(request_with("k: replaces\r\nk: timer\r\n"))));
  EXPECT_FALSE(supports_timer(parse_message(request_with("Supported: 100rel\r\n"))));
  EXPECT_FALSE(supports_timer(parse_message(request_with("Supported: timers\r\n"))));
  EXPECT_FALSE(supports_timer(parse_message(request_with("Require: timer\r\n"))));
  EXPECT_TRUE(requires_timer(parse_message(request_with("Require: timer\r\n"))));
  EXPECT_FALSE(requires_timer(parse_message(request_with(""))));
}

}  // namespace
}  // namespace osprey::sip
