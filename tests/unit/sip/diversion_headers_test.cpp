#include "sip/diversion_headers.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"
#include "exact_prefix.hpp"

#include <string>

#include "sip/message.hpp"

namespace osprey::sip {
namespace {

std::string request_with(std::string_view extra_headers) {
  std::string m =
      "INVITE sip:carol@chicago.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
      "Max-Forwards: 70\r\n"
      "To: Bob <sip:bob@biloxi.example.com>\r\n"
      "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
      "CSeq: 314159 INVITE\r\n";
  m += extra_headers;
  m += "Content-Length: 0\r\n\r\n";
  return m;
}

using test_files::expect_malformed;

// --- Diversion (RFC 5806) ---

TEST(DiversionHeaders, DiversionParameters) {
  auto d = parse_diversion(
      "\"Bob\" <sip:bob@biloxi.example.com>;reason=user-busy;counter=1;limit=5;privacy=off;screen=no");
  ASSERT_TRUE(d) << d.error().reason;
  EXPECT_EQ(d->address.display_text(), "Bob");
  EXPECT_EQ(d->address.uri.user, "bob");
  EXPECT_EQ(d->reason, "user-busy");
  EXPECT_EQ(d->counter, 1);
  EXPECT_EQ(d->limit, 5);
  EXPECT_EQ(d->privacy, "off");
  EXPECT_EQ(d->screen, "no");

  auto quoted = parse_diversion("<tel:+15551234567> ; REASON = \"time-of-day\" ; x-ext");
  ASSERT_TRUE(quoted) << quoted.error().reason;
  EXPECT_EQ(quoted->reason, "time-of-day");
  EXPECT_FALSE(quoted->counter);
  EXPECT_FALSE(quoted->screen);
}

TEST(DiversionHeaders, DiversionRejects) {
  const std::string_view cases[] = {
      "sip:bob@biloxi.example.com;reason=user-busy",  // name-addr only (erratum 3177)
      "<sip:bob@biloxi.example.com>;counter=100",     // 1*2DIGIT
      "<sip:bob@biloxi.example.com>;counter=a",
      "<sip:bob@biloxi.example.com>;counter=",
      "<sip:bob@biloxi.example.com>;limit=-1",
      "<sip:bob@biloxi.example.com>;reason",
      "<sip:bob@biloxi.example.com>;reason=a;reason=b",
      "<sip:bob@biloxi.example.com>;reason=\"open",
      "<sip:bob@biloxi.example.com",
      "",
  };
  for (std::string_view bad : cases) {
    auto r = parse_diversion(bad);
    ASSERT_FALSE(r) << "accepted: " << bad;
    expect_malformed(r.error(), "Diversion");
  }
}

TEST(DiversionHeaders, DiversionsThroughMessage) {
  auto m =
      Message::parse(request_with("Diversion: <sip:carol@chicago.example.com>;reason=no-answer;counter=1,\r\n"
                                  " <sip:bob@biloxi.example.com>;reason=unconditional;counter=1\r\n"
                                  "Diversion: <sip:alice@atlanta.example.com>;reason=deflection\r\n"));
  ASSERT_TRUE(m) << m.error().reason;
  auto all = diversions(*m);
  ASSERT_TRUE(all) << all.error().reason;
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].reason, "no-answer");
  EXPECT_EQ((*all)[1].address.uri.user, "bob");
  EXPECT_EQ((*all)[2].reason, "deflection");
}

// --- History-Info (RFC 7044) ---

TEST(DiversionHeaders, HistoryInfoEntries) {
  auto m = Message::parse(request_with(
      "History-Info: <sip:bob@example.com>;index=1,\r\n"
      " <sip:office@example.com?Reason=SIP%3Bcause%3D302>;index=1.1;rc=1\r\n"
      "History-Info: <sip:bob@192.0.2.5?Reason=SIP%3Bcause%3D480%3Btext%3D%22Temporarily%20Unavailable%22>"
      ";index=1.1.1;mp=1.1, <sip:voicemail@example.com>;index=1.2;np=1\r\n"));
  ASSERT_TRUE(m) << m.error().reason;
  auto all = history_info(*m);
  ASSERT_TRUE(all) << all.error().reason;
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].index, "1");
  EXPECT_EQ((*all)[0].depth(), 1u);
  EXPECT_FALSE((*all)[0].rc);
  EXPECT_FALSE((*all)[0].reason());
  EXPECT_EQ((*all)[1].index, "1.1");
  EXPECT_EQ((*all)[1].rc, "1");
  EXPECT_EQ((*all)[1].reason(), "SIP;cause=302");
  EXPECT_EQ((*all)[2].depth(), 3u);
  EXPECT_EQ((*all)[2].mp, "1.1");
  EXPECT_EQ((*all)[3].np, "1");
  // The embedded Reason parses as a Reason value.
  std::optional<std::string> embedded = (*all)[2].reason();
  ASSERT_TRUE(embedded);
  auto reason = parse_reason(*embedded);
  ASSERT_TRUE(reason) << reason.error().reason;
  EXPECT_EQ(reason->cause, 480u);
  EXPECT_EQ(reason->text_value(), "Temporarily Unavailable");
}

TEST(DiversionHeaders, HistoryInfoRejects) {
  const std::string_view cases[] = {
      "<sip:bob@example.com>",             // index is required
      "<sip:bob@example.com>;index=",      // empty
      "<sip:bob@example.com>;index=1..2",  // empty component
      "<sip:bob@example.com>;index=1.",    // trailing dot
      "<sip:bob@example.com>;index=.1",    // leading dot
      "<sip:bob@example.com>;index=01",    // leading zero
      "<sip:bob@example.com>;index=1.a",   // not a number
      "<sip:bob@example.com>;index=1;index=2",
      "<sip:bob@example.com>;index=1;rc=x",
      "<sip:bob@example.com>;index=1;mp=",
      "sip:bob@example.com;index=1",  // hi-targeted-to-uri = name-addr
  };
  for (std::string_view bad : cases) {
    auto r = parse_history_info(bad);
    ASSERT_FALSE(r) << "accepted: " << bad;
    expect_malformed(r.error(), "History-Info");
  }
  auto zero = parse_history_info("<sip:bob@example.com>;index=0.10");
  ASSERT_TRUE(zero) << zero.error().reason;
  EXPECT_EQ(zero->index, "0.10");
}

// --- Reason (RFC 3326) ---

TEST(DiversionHeaders, ReasonRfc3326Examples) {
  auto sip = parse_reason("SIP ;cause=200 ;text=\"Call completed elsewhere\"");
  ASSERT_TRUE(sip) << sip.error().reason;
  EXPECT_EQ(sip->protocol, "SIP");
  EXPECT_TRUE(sip->is_sip());
  EXPECT_EQ(sip->cause, 200u);
  EXPECT_EQ(sip->text, "\"Call completed elsewhere\"");
  EXPECT_EQ(sip->text_value(), "Call completed elsewhere");

  auto q850 = parse_reason("Q.850 ;cause=16 ;text=\"Terminated\"");
  ASSERT_TRUE(q850) << q850.error().reason;
  EXPECT_TRUE(q850->is_q850());
  EXPECT_EQ(q850->cause, 16u);

  auto other = parse_reason("preemption ;cause=1 ;text=\"UA Preemption\"");
  ASSERT_TRUE(other) << other.error().reason;
  EXPECT_FALSE(other->is_sip());

  auto bare = parse_reason("SIP");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->cause);
  EXPECT_FALSE(bare->text);
  EXPECT_EQ(bare->text_value(), "");

  auto escaped = parse_reason("SIP;text=\"say \\\"bye\\\"\";cause=487;x-loc=here");
  ASSERT_TRUE(escaped) << escaped.error().reason;
  EXPECT_EQ(escaped->text_value(), "say \"bye\"");
  EXPECT_EQ(escaped->cause, 487u);
}

TEST(DiversionHeaders, ReasonRejects) {
  const std::string_view cases[] = {
      ";cause=1",  // no protocol
      "SIP;cause=abc",
      "SIP;cause=",
      "SIP;cause=99999999999",  // beyond 32 bits
      "SIP;cause=1;cause=2",
      "SIP;text=unquoted",
      "SIP;text=\"open",
      "SIP;text=\"a\";TEXT=\"b\"",
      "SIP cause=1",
      "SIP;cause=1 junk",
      "",
  };
  for (std::string_view bad : cases) {
    auto r = parse_reason(bad);
    ASSERT_FALSE(r) << "accepted: " << bad;
    expect_malformed(r.error(), "Reason");
  }
}

TEST(DiversionHeaders, ReasonsThroughMessage) {
  std::string text = request_with(
      "Reason: SIP;cause=600;text=\"Busy Everywhere\", Q.850;cause=17\r\nReason: SIP;cause=x\r\n");
  auto m = Message::parse(text);
  ASSERT_TRUE(m) << m.error().reason;
  auto r = reasons(*m);
  ASSERT_FALSE(r);
  expect_malformed(r.error(), "Reason");
  EXPECT_EQ(r.error().offset, text.find("cause=x"));

  auto ok =
      Message::parse(request_with("Reason: SIP;cause=600;text=\"Busy, Everywhere\", Q.850;cause=17\r\n"));
  ASSERT_TRUE(ok);
  auto two = reasons(*ok);
  ASSERT_TRUE(two) << two.error().reason;
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].text_value(), "Busy, Everywhere");
  EXPECT_EQ((*two)[1].cause, 17u);
}

TEST(DiversionHeaders, EveryPrefixIsHandled) {
  const auto diversion = [](std::string_view v) { return parse_diversion(v); };
  const auto history_info = [](std::string_view v) { return parse_history_info(v); };
  const auto reason = [](std::string_view v) { return parse_reason(v); };
  testing::expect_every_prefix_handled(
      "\"Bob\" <sip:bob@biloxi.example.com>;reason=\"user-busy\";counter=1;limit=5", 0, diversion,
      history_info, reason);
  testing::expect_every_prefix_handled("<sip:office@example.com?Reason=SIP%3Bcause%3D302>;index=1.1;rc=1", 1,
                                       diversion, history_info, reason);
  testing::expect_every_prefix_handled("Q.850 ;cause=16 ;text=\"Termi\\\"nated\"", 2, diversion, history_info,
                                       reason);
}

}  // namespace
}  // namespace osprey::sip
