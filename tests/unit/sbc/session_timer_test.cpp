#include "sbc/session_timer.hpp"

#include <gtest/gtest.h>

#include "session_timer_messages.hpp"

namespace osprey::sbc {
namespace {

using std::chrono::seconds;
using test_messages::request;
using test_messages::response;
using Kind = SessionTimerAction::Kind;
using TimePoint = LegSessionTimer::TimePoint;

constexpr std::string_view kExpired = "SIP;cause=408;text=\"Session expired\"";

// A fake clock: times are offsets from an arbitrary start, passed in by hand.
const TimePoint t0 = TimePoint{} + std::chrono::hours(1000);
TimePoint at(int s) { return t0 + seconds(s); }

LegSessionTimer timer_with(SessionTerms terms, bool allows_update = false) {
  LegSessionTimer timer{SessionTimerSettings{}};
  timer.set_peer_allows_update(allows_update);
  timer.on_refreshed(t0, terms);
  return timer;
}

TEST(LegSessionTimer, NoTermsNoTimer) {
  LegSessionTimer timer{SessionTimerSettings{}};
  EXPECT_FALSE(timer.next_deadline());
  timer.on_refreshed(t0, std::nullopt);
  EXPECT_FALSE(timer.active());
  EXPECT_FALSE(timer.next_deadline());
  EXPECT_EQ(timer.poll(at(100000)).kind, Kind::none);
}

TEST(LegSessionTimer, OspreyRefreshesAtHalfTheInterval) {
  auto timer = timer_with({1800, SessionRefresher::osprey});
  EXPECT_EQ(timer.next_deadline(), at(900));  // RFC 4028 §10
  EXPECT_EQ(timer.poll(at(899)).kind, Kind::none);
  auto action = timer.poll(at(900));
  EXPECT_EQ(action.kind, Kind::refresh);
  EXPECT_EQ(action.method, RefreshMethod::reinvite);  // the peer's Allow lacks UPDATE
  // Handed out once; while it is out only the session's end is watched.
  EXPECT_EQ(timer.poll(at(901)).kind, Kind::none);
  EXPECT_EQ(timer.next_deadline(), at(1800));
  EXPECT_EQ(timer.refresh_headers(), (TimerHeaders{{sip::HeaderId::supported, "timer"},
                                                   {sip::HeaderId::session_expires, "1800;refresher=uac"},
                                                   {sip::HeaderId::min_se, "90"}}));
  ASSERT_TRUE(timer.on_refresh_2xx(at(902), response(200, "Session-Expires: 1800;refresher=uac\r\n")));
  EXPECT_EQ(timer.next_deadline(), at(902 + 900));
}

TEST(LegSessionTimer, RefreshIsAnUpdateWhenThePeerAllowsIt) {
  auto timer = timer_with({600, SessionRefresher::osprey}, /*allows_update=*/true);
  auto action = timer.poll(at(300));
  EXPECT_EQ(action.kind, Kind::refresh);
  EXPECT_EQ(action.method, RefreshMethod::update);
  // It did not take UPDATE after all: a re-INVITE at once.
  auto retry = timer.on_refresh_failed(at(301), response(501, ""));
  EXPECT_EQ(retry.kind, Kind::refresh);
  EXPECT_EQ(retry.method, RefreshMethod::reinvite);
}

TEST(LegSessionTimer, PeerRefresherExpiresBeforeTheIntervalEnds) {
  // RFC 4028 §10: BYE min(32, interval/3) before the session expires.
  auto timer = timer_with({1800, SessionRefresher::peer});
  EXPECT_EQ(timer.next_deadline(), at(1768));
  EXPECT_EQ(timer.poll(at(1767)).kind, Kind::none);
  auto action = timer.poll(at(1768));
  EXPECT_EQ(action.kind, Kind::end_call);
  EXPECT_EQ(action.reason, kExpired);
  // Over: nothing more to do, even if a late refresh shows up.
  EXPECT_FALSE(timer.next_deadline());
  timer.on_refreshed(at(1769), SessionTerms{1800, SessionRefresher::peer});
  EXPECT_EQ(timer.poll(at(5000)).kind, Kind::none);

  auto short_one = timer_with({90, SessionRefresher::peer});
  EXPECT_EQ(short_one.next_deadline(), at(60));  // 90 - min(32, 30)
}

TEST(LegSessionTimer, PeerRefreshPushesTheExpiryBack) {
  auto timer = timer_with({1800, SessionRefresher::peer});
  timer.on_refreshed(at(1000), SessionTerms{1800, SessionRefresher::peer});
  EXPECT_EQ(timer.poll(at(1768)).kind, Kind::none);
  EXPECT_EQ(timer.next_deadline(), at(1000 + 1768));
}

TEST(LegSessionTimer, IntervalAndRefresherChangedByAReInvite) {
  auto timer = timer_with({1800, SessionRefresher::osprey});
  // The peer's re-INVITE at 300 s negotiated 600 s, it refreshing.
  timer.on_refreshed(at(300), SessionTerms{600, SessionRefresher::peer});
  EXPECT_EQ(timer.next_deadline(), at(300 + 600 - 32));
  EXPECT_EQ(timer.poll(at(800)).kind, Kind::none);  // no refresh of ours any more
  // Another one hands the refreshing back to osprey at 1200 s.
  timer.on_refreshed(at(500), SessionTerms{1200, SessionRefresher::osprey});
  EXPECT_EQ(timer.next_deadline(), at(500 + 600));
  EXPECT_EQ(timer.poll(at(1100)).kind, Kind::refresh);
}

TEST(LegSessionTimer, RefreshAnswered408Or481EndsTheCall) {
  for (int status : {408, 481}) {
    auto timer = timer_with({1800, SessionRefresher::osprey});
    ASSERT_EQ(timer.poll(at(900)).kind, Kind::refresh);
    auto action = timer.on_refresh_failed(at(901), response(status, ""));
    EXPECT_EQ(action.kind, Kind::end_call);
    EXPECT_EQ(action.reason, "SIP;cause=" + std::to_string(status) + ";text=\"Session refresh failed\"");
    EXPECT_FALSE(timer.next_deadline());
  }
}

TEST(LegSessionTimer, RefreshTimeoutEndsTheCall) {
  auto timer = timer_with({1800, SessionRefresher::osprey});
  ASSERT_EQ(timer.poll(at(900)).kind, Kind::refresh);
  auto action = timer.on_refresh_timeout(at(932));
  EXPECT_EQ(action.kind, Kind::end_call);
  EXPECT_EQ(action.reason, "SIP;cause=408;text=\"Session refresh timed out\"");
}

TEST(LegSessionTimer, OtherFailuresRetryBeforeTheEndThenExpire) {
  auto timer = timer_with({1800, SessionRefresher::osprey});
  ASSERT_EQ(timer.poll(at(900)).kind, Kind::refresh);
  // A 500 does not end the session (§10): try again halfway to its end.
  EXPECT_EQ(timer.on_refresh_failed(at(900), response(500, "")).kind, Kind::none);
  EXPECT_EQ(timer.next_deadline(), at(1350));
  int attempts = 1;
  int now = 900;
  while (true) {
    auto deadline = timer.next_deadline();
    ASSERT_TRUE(deadline);
    now = static_cast<int>(std::chrono::duration_cast<seconds>(*deadline - t0).count());
    auto action = timer.poll(*deadline);
    if (action.kind == Kind::end_call) {
      EXPECT_EQ(action.reason, kExpired);
      break;
    }
    ASSERT_EQ(action.kind, Kind::refresh);
    ASSERT_LT(++attempts, 10) << "unbounded retries";
    timer.on_refresh_failed(*deadline, response(503, ""));
  }
  EXPECT_EQ(now, 1800);  // the session ended when its interval ran out
  EXPECT_GT(attempts, 2);
}

TEST(LegSessionTimer, GlareRetriesShortly) {
  auto timer = timer_with({1800, SessionRefresher::osprey});
  ASSERT_EQ(timer.poll(at(900)).kind, Kind::refresh);
  EXPECT_EQ(timer.on_refresh_failed(at(901), response(491, "")).kind, Kind::none);
  EXPECT_EQ(timer.next_deadline(), at(903));
}

TEST(LegSessionTimer, A422ToARefreshRetriesAtOnceWithItsMinSE) {
  auto timer = timer_with({1800, SessionRefresher::osprey});
  ASSERT_EQ(timer.poll(at(900)).kind, Kind::refresh);
  auto retry = timer.on_refresh_failed(at(901), response(422, "Min-SE: 3600\r\n"));
  EXPECT_EQ(retry.kind, Kind::refresh);
  EXPECT_EQ(timer.refresh_headers(), (TimerHeaders{{sip::HeaderId::supported, "timer"},
                                                   {sip::HeaderId::session_expires, "3600;refresher=uac"},
                                                   {sip::HeaderId::min_se, "3600"}}));
  ASSERT_TRUE(timer.on_refresh_2xx(at(902), response(200, "Session-Expires: 3600;refresher=uac\r\n")));
  EXPECT_EQ(timer.terms(), (SessionTerms{3600, SessionRefresher::osprey}));
  EXPECT_EQ(timer.next_deadline(), at(902 + 1800));
}

TEST(LegSessionTimer, RefreshAnsweredWithoutSessionExpiresKeepsOspreyRefreshing) {
  auto timer = timer_with({1800, SessionRefresher::osprey});
  ASSERT_EQ(timer.poll(at(900)).kind, Kind::refresh);
  ASSERT_TRUE(timer.on_refresh_2xx(at(901), response(200, "")));
  EXPECT_EQ(timer.terms(), (SessionTerms{1800, SessionRefresher::osprey}));
}

TEST(LegSessionTimer, RefreshAnsweredWithAMalformedSessionExpiresIsNotARefresh) {
  auto timer = timer_with({1800, SessionRefresher::osprey});
  ASSERT_EQ(timer.poll(at(900)).kind, Kind::refresh);
  auto result = timer.on_refresh_2xx(at(901), response(200, "Session-Expires: x\r\n"));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().reason.rfind("Malformed Session-Expires", 0), 0u);
  // Retried halfway to the unchanged end (1800 s).
  EXPECT_EQ(timer.next_deadline(), at(901) + std::chrono::milliseconds(449500));
}

TEST(LegSessionTimer, LateFailureOfARefreshOvertakenByAReInviteIsIgnored) {
  auto timer = timer_with({1800, SessionRefresher::osprey});
  ASSERT_EQ(timer.poll(at(900)).kind, Kind::refresh);
  timer.on_refreshed(at(905), SessionTerms{1800, SessionRefresher::osprey});
  EXPECT_EQ(timer.on_refresh_failed(at(906), response(481, "")).kind, Kind::none);
  EXPECT_EQ(timer.on_refresh_timeout(at(906)).kind, Kind::none);
  EXPECT_TRUE(timer.active());
}

TEST(LegSessionTimer, IncomingInviteToExpiry) {
  // The peer's INVITE asks for 600 s, it refreshing; osprey answers 2xx and watches.
  SessionTimerSettings settings;
  auto decision =
      decide_as_uas(settings, request("Supported: timer\r\nSession-Expires: 600;refresher=uac\r\n"));
  ASSERT_TRUE(decision);
  LegSessionTimer timer(settings);
  timer.on_refreshed(t0, decision->terms);
  EXPECT_EQ(timer.next_deadline(), at(600 - 32));
  // Its re-INVITE at 500 s refreshes; then nothing more comes.
  auto refresh =
      decide_as_uas(settings, request("Supported: timer\r\nSession-Expires: 600;refresher=uac\r\n"));
  timer.on_refreshed(at(500), refresh->terms);
  EXPECT_EQ(timer.poll(at(600)).kind, Kind::none);
  EXPECT_EQ(timer.poll(at(500 + 568)).kind, Kind::end_call);
}

TEST(LegSessionTimer, OutgoingInviteThrough422ToOurRefresh) {
  SessionTimerSettings settings;
  UacTimerNegotiation negotiation(settings);
  ASSERT_TRUE(negotiation.on_422(response(422, "Min-SE: 2400\r\n")));
  auto terms =
      negotiation.read_2xx(response(200, "Require: timer\r\nSession-Expires: 2400;refresher=uac\r\n"));
  ASSERT_TRUE(terms && *terms);
  LegSessionTimer timer(settings);
  timer.on_refreshed(t0, *terms);
  EXPECT_EQ(timer.next_deadline(), at(1200));
  EXPECT_EQ(timer.poll(at(1200)).kind, Kind::refresh);
  // The refresh carries the Min-SE the 422 asked for once the caller hands it over.
  EXPECT_EQ(timer.refresh_headers()[2].value, "90");
  timer.raise_min_se(negotiation.min_se());
  timer.raise_min_se(100);  // never lowers it
  EXPECT_EQ(timer.refresh_headers()[2], (TimerHeader{sip::HeaderId::min_se, "2400"}));
}

}  // namespace
}  // namespace osprey::sbc
