#include "sip/referral_headers.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"
#include "exact_prefix.hpp"

#include <string>

#include "sip/message.hpp"

namespace osprey::sip {
namespace {

using test_files::expect_malformed;

TEST(ReferralHeaders, ReferToAddrSpecAndNameAddr) {
  // RFC 3515 §2.1 / §4.1.
  auto plain = parse_refer_to("sip:dave@denver.example.org");
  ASSERT_TRUE(plain) << plain.error().reason;
  EXPECT_EQ(plain->uri.user, "dave");
  EXPECT_FALSE(plain->bracketed);
  auto named = parse_refer_to("\"Dave\" <sip:dave@denver.example.org;transport=tcp>;x-info=1");
  ASSERT_TRUE(named) << named.error().reason;
  EXPECT_EQ(named->uri.param("transport"), "tcp");
  EXPECT_EQ(named->param("x-info"), "1");
  EXPECT_FALSE(uri_header(named->uri, "Replaces"));
}

TEST(ReferralHeaders, ReferToCarriesReplacesRfc3891) {
  // RFC 3891: an attended transfer passes Replaces inside the Refer-To URI.
  constexpr std::string_view kReferTo =
      "<sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345%3Bfrom-tag%3D5FFE-3994>";
  auto r = parse_refer_to(kReferTo);
  ASSERT_TRUE(r) << r.error().reason;
  auto embedded = uri_header(r->uri, "replaces");
  ASSERT_TRUE(embedded);
  EXPECT_EQ(*embedded, "12345@192.168.118.3;to-tag=12345;from-tag=5FFE-3994");
  auto replaces = parse_replaces(*embedded);
  ASSERT_TRUE(replaces) << replaces.error().reason;
  EXPECT_EQ(replaces->call_id, "12345@192.168.118.3");
  EXPECT_EQ(replaces->to_tag, "12345");
  EXPECT_EQ(replaces->from_tag, "5FFE-3994");
  EXPECT_FALSE(replaces->early_only);
}

TEST(ReferralHeaders, ReferToThroughMessageCompactForm) {
  auto m = Message::parse(
      std::string("REFER sip:b@atlanta.example.com SIP/2.0\r\n"
                  "Via: SIP/2.0/UDP agenta.atlanta.example.com;branch=z9hG4bK2293940223\r\n"
                  "To: <sip:b@atlanta.example.com>\r\n"
                  "From: <sip:a@atlanta.example.com>;tag=193402342\r\n"
                  "Call-ID: 898234234@agenta.atlanta.example.com\r\n"
                  "CSeq: 93809823 REFER\r\n"
                  "Max-Forwards: 70\r\n"
                  "r: Bob <sip:bob@biloxi.example.net>\r\n"
                  "b: <sip:referrer@referrer.example>;cid=\"20398823.2UWQFN309shb3@referrer.example\"\r\n"
                  "Content-Length: 0\r\n\r\n"));
  ASSERT_TRUE(m) << m.error().reason;
  auto value = m->first_value(HeaderId::refer_to);
  ASSERT_TRUE(value);
  auto refer_to = parse_refer_to(*value);
  ASSERT_TRUE(refer_to) << refer_to.error().reason;
  EXPECT_EQ(refer_to->display_text(), "Bob");
  EXPECT_EQ(refer_to->uri.host, "biloxi.example.net");
  auto by = m->first_value(HeaderId::referred_by);
  ASSERT_TRUE(by);
  auto parsed = parse_referred_by(*by);
  ASSERT_TRUE(parsed) << parsed.error().reason;
  EXPECT_EQ(parsed->cid, "20398823.2UWQFN309shb3@referrer.example");
}

TEST(ReferralHeaders, ReferToRejects) {
  for (std::string_view bad :
       {"", "<sip:a@b.com", "sip:a@b.com?Replaces=x", "<sip:a@b.com> junk", "<sip:a@b.com>;"}) {
    auto r = parse_refer_to(bad);
    ASSERT_FALSE(r) << "accepted: " << bad;
    expect_malformed(r.error(), "Refer-To");
  }
}

TEST(ReferralHeaders, ReferredByRfc3892) {
  auto r =
      parse_referred_by("<sip:referrer@referrer.example>;cid=\"20398823.2UWQFN309shb3@referrer.example\"");
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->address.uri.user, "referrer");
  EXPECT_EQ(r->cid, "20398823.2UWQFN309shb3@referrer.example");
  auto no_cid = parse_referred_by("sip:referrer@referrer.example");
  ASSERT_TRUE(no_cid);
  EXPECT_FALSE(no_cid->cid);
  auto v6 = parse_referred_by("<sip:r@example.com> ; cid = \"a.b@[2001:db8::1]\" ; x=y");
  ASSERT_TRUE(v6) << v6.error().reason;
  EXPECT_EQ(v6->cid, "a.b@[2001:db8::1]");
}

TEST(ReferralHeaders, ReferredByRejects) {
  const std::string_view cases[] = {
      "<sip:r@example.com>;cid=abc@example.com",       // not quoted
      "<sip:r@example.com>;cid=\"abc\"",               // no '@'
      "<sip:r@example.com>;cid=\"a..b@example.com\"",  // empty atom
      "<sip:r@example.com>;cid=\"a b@example.com\"",   // space
      "<sip:r@example.com>;cid=\"a@b\";cid=\"c@d\"",   // twice
      "<sip:r@example.com>;cid",                       // no value
      "<sip:r@example.com",                            // unterminated
  };
  for (std::string_view bad : cases) {
    auto r = parse_referred_by(bad);
    ASSERT_FALSE(r) << "accepted: " << bad;
    expect_malformed(r.error(), "Referred-By");
  }
}

TEST(ReferralHeaders, ReplacesRfc3891Examples) {
  auto a = parse_replaces("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff");
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_EQ(a->call_id, "98732@sip.example.com");
  EXPECT_EQ(a->from_tag, "r33th4x0r");
  EXPECT_EQ(a->to_tag, "ff87ff");
  EXPECT_EQ(a->params, ";from-tag=r33th4x0r;to-tag=ff87ff");

  auto early = parse_replaces("12adf2f34456gs5;to-tag=12345;from-tag=54321;early-only");
  ASSERT_TRUE(early) << early.error().reason;
  EXPECT_EQ(early->call_id, "12adf2f34456gs5");
  EXPECT_TRUE(early->early_only);

  auto spaced =
      parse_replaces(" 425928@bobster.example.org ;\r\n TO-TAG = 7743 ; From-Tag=6472 ; x-ext=\"q\" ");
  ASSERT_TRUE(spaced) << spaced.error().reason;
  EXPECT_EQ(spaced->to_tag, "7743");
  EXPECT_EQ(spaced->from_tag, "6472");
}

TEST(ReferralHeaders, ReplacesRejects) {
  const std::string_view cases[] = {
      "98732@sip.example.com;from-tag=r33th4x0r",                  // no to-tag (RFC 3891 §6.1)
      "98732@sip.example.com;to-tag=ff87ff",                       // no from-tag
      "98732@sip.example.com;to-tag=a;from-tag=b;to-tag=c",        // two to-tags
      "98732@sip.example.com;to-tag=a;from-tag=b;early-only=yes",  // flag with a value
      "98732@sip.example.com;to-tag=\"a\";from-tag=b",             // quoted tag
      ";to-tag=a;from-tag=b",                                      // no Call-ID
      "98732@;to-tag=a;from-tag=b",                                // empty word after '@'
      "98732 x;to-tag=a;from-tag=b",                               // two words
      "98732@sip.example.com;to-tag=a;;from-tag=b",                // empty parameter
      "98732@sip.example.com;to-tag=;from-tag=b",                  // empty value
      "",
  };
  for (std::string_view bad : cases) {
    auto r = parse_replaces(bad);
    ASSERT_FALSE(r) << "accepted: " << bad;
    expect_malformed(r.error(), "Replaces");
    EXPECT_LE(r.error().offset, bad.size());
  }
}

TEST(ReferralHeaders, UriHeaderLookup) {
  auto u = parse_uri("sip:a@b.com?Subject=hi%20there&Priority=&Replaces=x%3By&%52eplaces=second");
  ASSERT_TRUE(u) << u.error().reason;
  EXPECT_EQ(uri_header(*u, "subject"), "hi there");
  EXPECT_EQ(uri_header(*u, "Priority"), "");
  EXPECT_EQ(uri_header(*u, "Replaces"), "x;y");  // the first one
  EXPECT_FALSE(uri_header(*u, "Route"));
}

TEST(ReferralHeaders, EveryPrefixIsHandled) {
  const auto refer_to = [](std::string_view v) { return parse_refer_to(v); };
  const auto referred_by = [](std::string_view v) { return parse_referred_by(v); };
  const auto replaces = [](std::string_view v) { return parse_replaces(v); };
  testing::expect_every_prefix_handled(
      "<sip:dave@denver.example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345>;x=\"y\"", 0, refer_to,
      referred_by, replaces);
  testing::expect_every_prefix_handled("<sip:referrer@referrer.example>;cid=\"20398823.2UWQFN309shb3@[::1]\"",
                                       1, refer_to, referred_by, replaces);
  testing::expect_every_prefix_handled("12adf2f34456gs5;to-tag=12345;from-tag=54321;early-only", 2, refer_to,
                                       referred_by, replaces);
}

}  // namespace
}  // namespace osprey::sip
