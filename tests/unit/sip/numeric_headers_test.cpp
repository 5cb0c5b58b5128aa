#include "sip/numeric_headers.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"
#include "sip/message.hpp"

namespace osprey::sip {
namespace {

using test_files::read_conformance_file;
using test_files::replace_once;

using test_files::parse_message;

using test_files::request_with;

TEST(NumericHeaders, DeltaSeconds) {
  EXPECT_EQ(*parse_delta_seconds("0", "Expires"), 0u);
  EXPECT_EQ(*parse_delta_seconds("3600", "Expires"), 3600u);
  EXPECT_EQ(*parse_delta_seconds("0003600", "Expires"), 3600u);
  EXPECT_EQ(*parse_delta_seconds("4294967295", "Expires"), 4294967295u);
  auto over = parse_delta_seconds("4294967296", "Expires", 9);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().header, "Expires");
  EXPECT_EQ(over.error().offset, 9u);
  EXPECT_EQ(over.error().reason.rfind("Malformed Expires", 0), 0u);
  EXPECT_EQ(*parse_delta_seconds("4294967296", "Expires", 0, Overlarge::saturate), kMaxDeltaSeconds);
  EXPECT_EQ(*parse_delta_seconds(std::string(300, '9'), "Expires", 0, Overlarge::saturate), kMaxDeltaSeconds);
  EXPECT_FALSE(parse_delta_seconds(std::string(300, '9'), "Expires"));
  for (std::string_view bad : {"", "-1", "+1", "1.5", " 1", "1 ", "0x10", "１"}) {
    EXPECT_FALSE(parse_delta_seconds(bad, "Expires")) << bad;
    EXPECT_FALSE(parse_delta_seconds(bad, "Expires", 0, Overlarge::saturate)) << bad;
  }
}

TEST(NumericHeaders, QValue) {
  EXPECT_EQ(parse_qvalue("0"), 0);
  EXPECT_EQ(parse_qvalue("0.7"), 700);
  EXPECT_EQ(parse_qvalue("0.07"), 70);
  EXPECT_EQ(parse_qvalue("0.999"), 999);
  EXPECT_EQ(parse_qvalue("1.00"), 1000);
  for (std::string_view bad : {"", "1.01", "0.0000", "2", "00", ".1", "0.a", "1.0.0", " 0"}) {
    EXPECT_FALSE(parse_qvalue(bad)) << bad;
  }
}

TEST(NumericHeaders, Expires) {
  EXPECT_EQ(*parse_expires("5"), 5u);  // RFC 3261 §20.19
  EXPECT_EQ(*parse_expires(" \r\n 7200 "), 7200u);
  // RFC 2543's absolute dates are malformed under RFC 3261 (§20.10: then treated as 3600 by the user).
  EXPECT_FALSE(parse_expires("Thu, 01 Dec 1994 16:00:00 GMT"));
  EXPECT_FALSE(parse_expires(""));
  EXPECT_FALSE(parse_expires("5 6"));
  EXPECT_FALSE(parse_expires("5;x=1"));
  EXPECT_EQ(*parse_min_expires("60"), 60u);  // RFC 3261 §20.23
  auto bad = parse_min_expires("sixty", 30);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().header, "Min-Expires");
  EXPECT_EQ(bad.error().offset, 30u);
}

TEST(NumericHeaders, ExpiresFromMessage) {
  auto m = parse_message(request_with("Expires: 120\r\nMin-Expires: 60\r\n"));
  auto e = expires(m);
  ASSERT_TRUE(e);
  ASSERT_TRUE(*e);
  EXPECT_EQ(**e, 120u);
  EXPECT_EQ(**min_expires(m), 60u);
  auto absent = rseq(m);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
}

TEST(NumericHeaders, SingleValuedHeaderTwiceIsAnError) {
  auto m = parse_message(request_with("Expires: 120\r\nExpires: 60\r\n"));
  auto e = expires(m);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().category, ErrorCategory::duplicate_header);
  EXPECT_EQ(e.error().header, "Expires");
  EXPECT_EQ(e.error().server_status, 400);
}

TEST(NumericHeaders, Rfc4475Scalar02OverlargeExpires) {
  // Take out the CSeq and Max-Forwards defects: only the expiry values are left in error
  // (RFC 4475 §3.1.2.4).
  std::string text = replace_once(read_conformance_file("rfc4475/invalid/scalar02.sip"),
                                  "CSeq: 36893488147419103232 REGISTER", "CSeq: 3 REGISTER");
  text = replace_once(text, "Max-Forwards: 300", "Max-Forwards: 70");
  auto m = parse_message(text);
  auto strict = expires(m);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().header, "Expires");
  EXPECT_EQ(strict.error().offset, text.find("10000000000"));
  auto saturated = expires(m, Overlarge::saturate);
  ASSERT_TRUE(saturated);
  EXPECT_EQ(**saturated, kMaxDeltaSeconds);
}

TEST(NumericHeaders, Rfc4475ScalarlgOverlargeRetryAfter) {
  std::string text = replace_once(read_conformance_file("rfc4475/invalid/scalarlg.sip"),
                                  "CSeq: 9292394834772304023312 OPTIONS", "CSeq: 9 OPTIONS");
  auto m = parse_message(text);
  auto r = retry_after(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().header, "Retry-After");
}

TEST(NumericHeaders, SessionExpires) {
  auto se = parse_session_expires("4000;refresher=uac");  // RFC 4028 §4
  ASSERT_TRUE(se);
  EXPECT_EQ(se->seconds, 4000u);
  EXPECT_EQ(se->refresher, Refresher::uac);
  auto folded = parse_session_expires("1800 ;\r\n refresher = UAS ; x-foo=bar");
  ASSERT_TRUE(folded) << folded.error().reason;
  EXPECT_EQ(folded->refresher, Refresher::uas);
  EXPECT_EQ(folded->seconds, 1800u);
  auto plain = parse_session_expires("90");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->refresher, Refresher::none);
  EXPECT_TRUE(plain->params.empty());
  for (std::string_view bad :
       {"", "abc", "4000;refresher=both", "4000;refresher", "4000;refresher=\"uac\"", "4000;",
        "4000 refresher=uac", "4294967296", "4000;refresher=uac;refresher=x"}) {
    auto e = parse_session_expires(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().header, "Session-Expires") << bad;
  }
}

TEST(NumericHeaders, SessionExpiresCompactFormAndMinSE) {
  auto m = parse_message(request_with("x: 1800;refresher=uas\r\nMin-SE: 90;lang=en\r\n"));
  auto se = session_expires(m);
  ASSERT_TRUE(se) << se.error().reason;
  ASSERT_TRUE(*se);
  EXPECT_EQ((*se)->seconds, 1800u);
  EXPECT_EQ((*se)->refresher, Refresher::uas);
  auto min = min_se(m);
  ASSERT_TRUE(min);
  EXPECT_EQ((*min)->seconds, 90u);
  EXPECT_EQ((*min)->params, ";lang=en");
  EXPECT_FALSE(parse_min_se("90;"));
  EXPECT_FALSE(parse_min_se("ninety"));
}

TEST(NumericHeaders, RetryAfter) {
  auto a = parse_retry_after("18000;duration=3600");  // RFC 3261 §20.33
  ASSERT_TRUE(a);
  EXPECT_EQ(a->seconds, 18000u);
  EXPECT_EQ(a->duration, 3600u);
  EXPECT_TRUE(a->comment.empty());
  auto b = parse_retry_after("120 (I'm in a meeting)");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->seconds, 120u);
  EXPECT_EQ(b->comment, "(I'm in a meeting)");
  EXPECT_FALSE(b->duration);
  auto c = parse_retry_after("60(back (soon \\) really)) ;duration=10;x");
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->comment, "(back (soon \\) really))");
  EXPECT_EQ(c->duration, 10u);
  EXPECT_EQ(c->params, ";duration=10;x");
  for (std::string_view bad :
       {"", "soon", "120 (unterminated", "120 (a (b)", "120;duration=", "120;duration=x",
        "120;duration=99999999999", "120 extra", "120 (x) (y)", "120 (bad\x01)"}) {
    auto e = parse_retry_after(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().header, "Retry-After") << bad;
  }
}

TEST(NumericHeaders, Timestamp) {
  auto a = parse_timestamp("54");  // RFC 3261 §20.38
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value, "54");
  EXPECT_TRUE(a->delay.empty());
  auto b = parse_timestamp("54.123  0.5");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->value, "54.123");
  EXPECT_EQ(b->delay, "0.5");
  auto c = parse_timestamp("54. \r\n 3");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->value, "54.");
  EXPECT_EQ(c->delay, "3");
  auto d = parse_timestamp("7 .");  // delay = *(DIGIT) [ "." *(DIGIT) ] may be just "."
  ASSERT_TRUE(d);
  EXPECT_EQ(d->delay, ".");
  for (std::string_view bad : {"", ".5", "a", "54 a", "54.1.2", "54 1 2", "54,1", "-54"}) {
    auto e = parse_timestamp(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().header, "Timestamp");
  }
  auto m = parse_message(request_with("Timestamp: 54 2\r\n"));
  auto t = timestamp(m);
  ASSERT_TRUE(t);
  EXPECT_EQ((*t)->value, "54");
  EXPECT_EQ((*t)->delay, "2");
}

TEST(NumericHeaders, RSeqAndRAck) {
  EXPECT_EQ(*parse_rseq("988789"), 988789u);  // RFC 3262 §7.1
  EXPECT_EQ(*parse_rseq("4294967295"), 4294967295u);
  for (std::string_view bad : {"", "4294967296", "1 2", "x", "-1"}) EXPECT_FALSE(parse_rseq(bad)) << bad;

  auto ack = parse_rack("776656 1 INVITE");  // RFC 3262 §7.2
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->response_num, 776656u);
  EXPECT_EQ(ack->cseq, 1u);
  EXPECT_EQ(ack->method_text, "INVITE");
  EXPECT_EQ(ack->method, Method::invite);
  auto folded = parse_rack("1\r\n 2147483647\tFOO");
  ASSERT_TRUE(folded);
  EXPECT_EQ(folded->cseq, 2147483647u);
  EXPECT_EQ(folded->method, Method::unknown);
  EXPECT_EQ(folded->method_text, "FOO");
  for (std::string_view bad :
       {"", "776656", "776656 1", "776656 1INVITE", "776656 2147483648 INVITE", "4294967296 1 INVITE",
        "776656 1 INVITE x", "a 1 INVITE", "776656 1 IN/VITE"}) {
    auto e = parse_rack(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().header, "RAck") << bad;
  }
  auto m = parse_message(request_with("RSeq: 7\r\nRAck: 7 314159 INVITE\r\n"));
  EXPECT_EQ(**rseq(m), 7u);
  EXPECT_EQ((*rack(m))->cseq, 314159u);
}

}  // namespace
}  // namespace osprey::sip
