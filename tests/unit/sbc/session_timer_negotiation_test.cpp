#include "sbc/session_timer_negotiation.hpp"

#include <gtest/gtest.h>

#include "session_timer_messages.hpp"
#include "sip/session_timer_headers.hpp"

namespace osprey::sbc {
namespace {

using sip::HeaderId;
using test_messages::request;
using test_messages::response;
using Kind = UasTimerDecision::Kind;

SessionTimerSettings settings(std::uint32_t session_expires = 1800, std::uint32_t min_se = 90) {
  SessionTimerSettings s;
  s.session_expires = session_expires;
  s.min_se = min_se;
  return s;
}

UasTimerDecision uas(const SessionTimerSettings& s, std::string_view headers,
                     SessionTimerPolicy policy = {}) {
  auto decision = decide_as_uas(s, request(headers), policy);
  EXPECT_TRUE(decision) << decision.error().reason;
  return decision ? *decision : UasTimerDecision{};
}

// ---- UAS (RFC 4028 §9)

TEST(SessionTimerUas, TooSmallIntervalFromASupportingUacIs422WithOurMinSE) {
  auto d = uas(settings(1800, 300), "Supported: timer\r\nSession-Expires: 120\r\n");
  EXPECT_EQ(d.kind, Kind::interval_too_small);
  EXPECT_FALSE(d.terms);
  EXPECT_EQ(d.headers, (TimerHeaders{{HeaderId::min_se, "300"}}));
}

TEST(SessionTimerUas, IntervalBelowNinetyIs422EvenWhenOurMinimumIsConfiguredLower) {
  // RFC 4028 §4: 90 s is the absolute minimum; a configured min_se of 30 does not lower it.
  auto d = uas(settings(1800, 30), "Supported: timer\r\nSession-Expires: 60\r\n");
  EXPECT_EQ(d.kind, Kind::interval_too_small);
  EXPECT_EQ(d.headers, (TimerHeaders{{HeaderId::min_se, "90"}}));
}

TEST(SessionTimerUas, IntervalAtOurMinimumIsAccepted) {
  auto d = uas(settings(1800, 300), "Supported: timer\r\nSession-Expires: 300;refresher=uac\r\n");
  ASSERT_EQ(d.kind, Kind::timer);
  EXPECT_EQ(*d.terms, (SessionTerms{300, SessionRefresher::peer}));
  EXPECT_EQ(d.headers,
            (TimerHeaders{{HeaderId::session_expires, "300;refresher=uac"}, {HeaderId::require, "timer"}}));
}

TEST(SessionTimerUas, RefresherAskedForStands) {
  // §9 table: a UAC that supports timers keeps the refresher it named.
  auto d = uas(settings(), "Supported: timer\r\nx: 1200;refresher=uas\r\n");
  ASSERT_EQ(d.kind, Kind::timer);
  EXPECT_EQ(*d.terms, (SessionTerms{1200, SessionRefresher::osprey}));
  EXPECT_EQ(d.headers[0].value, "1200;refresher=uas");
}

TEST(SessionTimerUas, WithoutRefresherParameterThePeerRefreshes) {
  auto d = uas(settings(), "Supported: timer\r\nSession-Expires: 1200\r\n");
  ASSERT_EQ(d.kind, Kind::timer);
  EXPECT_EQ(d.terms->refresher, SessionRefresher::peer);
  EXPECT_EQ(d.headers[0].value, "1200;refresher=uac");
}

TEST(SessionTimerUas, LongIntervalIsLoweredToOursButNotBelowTheRequestsMinSE) {
  auto lowered = uas(settings(1800), "Supported: timer\r\nSession-Expires: 7200\r\n");
  EXPECT_EQ(lowered.terms->interval, 1800u);
  auto bounded = uas(settings(1800), "Supported: timer\r\nSession-Expires: 7200\r\nMin-SE: 3600\r\n");
  EXPECT_EQ(bounded.terms->interval, 3600u);
}

TEST(SessionTimerUas, UacWithoutTimerSupportGetsOspreyAsRefresherAndNoRequire) {
  // §9 table: no Supported: timer -> refresher=uas, and Require: timer must not be sent.
  auto d = uas(settings(), "Session-Expires: 1800\r\n");
  ASSERT_EQ(d.kind, Kind::timer);
  EXPECT_EQ(*d.terms, (SessionTerms{1800, SessionRefresher::osprey}));
  EXPECT_EQ(d.headers, (TimerHeaders{{HeaderId::session_expires, "1800;refresher=uas"}}));
}

TEST(SessionTimerUas, RequireTimerCountsAsSupport) {
  auto d = uas(settings(1800, 300), "Require: timer\r\nSession-Expires: 120\r\n");
  EXPECT_EQ(d.kind, Kind::interval_too_small);
}

TEST(SessionTimerUas, UacWithoutTimerSupportIsNot422dButRaised) {
  // It could not read a 422's Min-SE: the call goes on at our minimum, osprey refreshing.
  auto d = uas(settings(1800, 600), "Session-Expires: 100\r\n");
  ASSERT_EQ(d.kind, Kind::timer);
  EXPECT_EQ(*d.terms, (SessionTerms{600, SessionRefresher::osprey}));
}

TEST(SessionTimerUas, NoSessionExpiresInTheRequest) {
  // A supporting UAC that asked for nothing: we insert our interval, it refreshes.
  auto supported = uas(settings(1800), "Supported: timer\r\nMin-SE: 2000\r\n");
  ASSERT_EQ(supported.kind, Kind::timer);
  EXPECT_EQ(*supported.terms, (SessionTerms{2000, SessionRefresher::peer}));
  EXPECT_EQ(supported.headers,
            (TimerHeaders{{HeaderId::session_expires, "2000;refresher=uac"}, {HeaderId::require, "timer"}}));
  // A UAC without support: osprey refreshes by default, or no timer if the policy says so.
  auto plain = uas(settings(1800), "");
  ASSERT_EQ(plain.kind, Kind::timer);
  EXPECT_EQ(*plain.terms, (SessionTerms{1800, SessionRefresher::osprey}));
  SessionTimerPolicy no_own_timer;
  no_own_timer.refresh_without_peer_support = false;
  EXPECT_EQ(uas(settings(1800), "", no_own_timer).kind, Kind::no_timer);
}

TEST(SessionTimerUas, DisabledTrunkIgnoresTheHeaders) {
  SessionTimerSettings off = settings();
  off.enabled = false;
  auto d = uas(off, "Supported: timer\r\nSession-Expires: 30\r\n");
  EXPECT_EQ(d.kind, Kind::no_timer);
  EXPECT_TRUE(d.headers.empty());
}

TEST(SessionTimerUas, MalformedSessionExpiresIsA400Error) {
  auto d = decide_as_uas(settings(), request("Session-Expires: soon\r\n"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().server_status, 400);
  EXPECT_EQ(d.error().reason.rfind("Malformed Session-Expires", 0), 0u) << d.error().reason;
  EXPECT_FALSE(decide_as_uas(settings(), request("Min-SE: 90;\r\n")));
}

// ---- UAC (RFC 4028 §7)

TEST(SessionTimerUac, InitialRequestHeaders) {
  UacTimerNegotiation n(settings(1800, 120));
  EXPECT_EQ(n.request_headers(), (TimerHeaders{{HeaderId::supported, "timer"},
                                               {HeaderId::session_expires, "1800"},
                                               {HeaderId::min_se, "120"}}));
  SessionTimerSettings off = settings();
  off.enabled = false;
  EXPECT_TRUE(UacTimerNegotiation(off).request_headers().empty());
}

TEST(SessionTimerUac, InDialogRequestKeepsIntervalAndRefresher) {
  auto ours = UacTimerNegotiation::in_dialog(settings(), {600, SessionRefresher::osprey});
  EXPECT_EQ(ours.request_headers()[1].value, "600;refresher=uac");
  auto theirs = UacTimerNegotiation::in_dialog(settings(), {600, SessionRefresher::peer});
  EXPECT_EQ(theirs.request_headers()[1].value, "600;refresher=uas");
}

TEST(SessionTimerUac, Reading2xx) {
  UacTimerNegotiation n(settings());
  auto uas_refreshes = n.read_2xx(response(200, "Require: timer\r\nSession-Expires: 1200;refresher=uas\r\n"));
  ASSERT_TRUE(uas_refreshes && *uas_refreshes);
  EXPECT_EQ(**uas_refreshes, (SessionTerms{1200, SessionRefresher::peer}));
  auto we_refresh = n.read_2xx(response(200, "Session-Expires: 1800;refresher=uac\r\n"));
  EXPECT_EQ(**we_refresh, (SessionTerms{1800, SessionRefresher::osprey}));
  // A 2xx below 90 s is read as 90 (RFC 4028 §4): no tight refresh loop for a hostile peer.
  auto tiny = n.read_2xx(response(200, "Session-Expires: 2;refresher=uac\r\n"));
  EXPECT_EQ((*tiny)->interval, 90u);
  EXPECT_FALSE(n.read_2xx(response(200, "Session-Expires: 1800;refresher=me\r\n")));
}

TEST(SessionTimerUac, No2xxSessionExpiresMeansOurOwnTimerOrNone) {
  UacTimerNegotiation n(settings(1500));
  auto own = n.read_2xx(response(200, ""));
  ASSERT_TRUE(own && *own);
  EXPECT_EQ(**own, (SessionTerms{1500, SessionRefresher::osprey}));
  SessionTimerPolicy policy;
  policy.refresh_without_peer_support = false;
  auto none = UacTimerNegotiation(settings(1500), policy).read_2xx(response(200, ""));
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(SessionTimerUac, A422RaisesMinSEAndSessionExpiresOnce) {
  UacTimerNegotiation n(settings(1800, 90));
  EXPECT_TRUE(n.on_422(response(422, "Min-SE: 3600\r\n")));
  EXPECT_EQ(n.request_headers(), (TimerHeaders{{HeaderId::supported, "timer"},
                                               {HeaderId::session_expires, "3600"},
                                               {HeaderId::min_se, "3600"}}));
  // The same value again is no progress: stop.
  EXPECT_FALSE(n.on_422(response(422, "Min-SE: 3600\r\n")));
}

TEST(SessionTimerUac, A422BelowOurIntervalKeepsOurSessionExpires) {
  UacTimerNegotiation n(settings(1800, 90));
  ASSERT_TRUE(n.on_422(response(422, "Min-SE: 600\r\n")));
  EXPECT_EQ(n.session_expires(), 1800u);
  EXPECT_EQ(n.min_se(), 600u);
}

TEST(SessionTimerUac, A422IsBounded) {
  UacTimerNegotiation n(settings(1800, 90));
  EXPECT_FALSE(n.on_422(response(422, "")));                   // no Min-SE
  EXPECT_FALSE(n.on_422(response(422, "Min-SE: 60\r\n")));     // not higher than ours
  EXPECT_FALSE(n.on_422(response(422, "Min-SE: 86400\r\n")));  // above the cap
  EXPECT_FALSE(n.on_422(response(422, "Min-SE: lots\r\n")));   // malformed
  EXPECT_FALSE(n.on_422(response(500, "Min-SE: 600\r\n")));    // not a 422
  EXPECT_TRUE(n.on_422(response(422, "Min-SE: 100\r\n")));
  EXPECT_TRUE(n.on_422(response(422, "Min-SE: 110\r\n")));
  EXPECT_FALSE(n.on_422(response(422, "Min-SE: 120\r\n")));  // retries used up (policy: 2)
  EXPECT_EQ(n.min_se(), 110u);
}

// ---- header plumbing

TEST(SessionTimerHeadersInMessages, ApplyReplacesAndAddsTheTagOnce) {
  auto m = request("Supported: 100rel, timer\r\nSession-Expires: 60\r\n");
  apply_timer_headers(UacTimerNegotiation(settings()).request_headers(), m);
  auto again = m.reparsed();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->count(HeaderId::supported), 1u);
  EXPECT_EQ(again->count(HeaderId::session_expires), 1u);
  EXPECT_EQ(*again->first_value(HeaderId::session_expires), "1800");
  EXPECT_EQ(*again->first_value(HeaderId::min_se), "90");
}

TEST(SessionTimerHeadersInMessages, RemoveStripsTheOtherLegsNegotiation) {
  auto m = request("Supported: 100rel, timer, replaces\r\nRequire: timer\r\nx: 60\r\nMin-SE: 60\r\n");
  remove_timer_headers(m);
  auto again = m.reparsed();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->first_value(HeaderId::supported), "100rel, replaces");
  EXPECT_EQ(again->count(HeaderId::require), 0u);
  EXPECT_EQ(again->count(HeaderId::session_expires), 0u);
  EXPECT_EQ(again->count(HeaderId::min_se), 0u);
  EXPECT_FALSE(sip::supports_timer(*again));
}

TEST(SessionTimerHeadersInMessages, AllowsUpdate) {
  EXPECT_TRUE(allows_update(request("Allow: INVITE, ACK, BYE, UPDATE\r\n")));
  EXPECT_FALSE(allows_update(request("Allow: INVITE, ACK, BYE, update\r\n")));  // methods are case-sensitive
  EXPECT_FALSE(allows_update(request("")));
}

}  // namespace
}  // namespace osprey::sbc
