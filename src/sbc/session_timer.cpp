#include "sbc/session_timer.hpp"

#include <algorithm>

#include "sip/session_timer_headers.hpp"

namespace osprey::sbc {
namespace {

using std::chrono::seconds;

// RFC 3261 §17.1.1.2: a transaction that gets no answer fails after 64*T1 = 32 s. A retry is
// only worth sending while there is at least that long left before the session ends, twice.
constexpr seconds kTransactionTimeout{32};
// RFC 3261 §14.1: after 491 (Request Pending) the request is sent again a moment later.
constexpr seconds kGlareDelay{2};
// Attempts after a failed refresh, per refresh (bounded: a peer that answers 500 or 491 to
// every refresh does not get a request stream, the session ends when its interval runs out).
constexpr std::uint32_t kMaxRefreshRetries = 4;

std::string reason(int cause, std::string_view text) {
  return "SIP;cause=" + std::to_string(cause) + ";text=\"" + std::string(text) + "\"";
}

}  // namespace

LegSessionTimer::LegSessionTimer(const SessionTimerSettings& settings, const SessionTimerPolicy& policy)
    : settings_(settings),
      policy_(policy),
      min_se_(std::max(settings.min_se, sip::kMinimumSessionInterval)) {}

void LegSessionTimer::on_refreshed(TimePoint now, std::optional<SessionTerms> terms) {
  if (ended_) return;
  terms_ = terms;
  refreshed_at_ = now;
  refresh_in_flight_ = false;
  refresh_retries_ = 0;
  // RFC 4028 §10: the refresher sends its refresh when half the session interval has elapsed.
  if (terms_) refresh_due_ = now + std::chrono::milliseconds(std::uint64_t{terms_->interval} * 500);
}

LegSessionTimer::TimePoint LegSessionTimer::session_end() const {
  return refreshed_at_ + seconds(terms_->interval);
}

LegSessionTimer::TimePoint LegSessionTimer::peer_expiry() const {
  // RFC 4028 §10: the side that does not refresh sends its BYE "slightly before the session
  // expiration": min(32 seconds, one third of the interval) before it.
  const std::uint32_t interval = terms_->interval;
  return refreshed_at_ + seconds(interval - std::min<std::uint32_t>(32, interval / 3));
}

std::optional<LegSessionTimer::TimePoint> LegSessionTimer::next_deadline() const {
  if (!active()) return std::nullopt;
  if (terms_->refresher == SessionRefresher::peer) return peer_expiry();
  if (refresh_in_flight_) return session_end();
  return std::min(refresh_due_, session_end());
}

SessionTimerAction LegSessionTimer::poll(TimePoint now) {
  if (!active()) return {};
  if (terms_->refresher == SessionRefresher::peer) {
    if (now >= peer_expiry()) return end_call(reason(408, "Session expired"));
    return {};
  }
  // osprey refreshes: past the end of the interval no refresh got through.
  if (now >= session_end()) return end_call(reason(408, "Session expired"));
  if (refresh_in_flight_ || now < refresh_due_) return {};
  refresh_in_flight_ = true;
  in_flight_method_ = peer_allows_update_ ? RefreshMethod::update : RefreshMethod::reinvite;
  SessionTimerAction action;
  action.kind = SessionTimerAction::Kind::refresh;
  action.method = in_flight_method_;
  return action;
}

TimerHeaders LegSessionTimer::refresh_headers() const {
  if (!terms_) return {};
  SessionTerms asked{std::max(terms_->interval, min_se_), SessionRefresher::osprey};
  TimerHeaders headers = UacTimerNegotiation::in_dialog(settings_, asked, policy_).request_headers();
  for (TimerHeader& header : headers) {
    if (header.id == sip::HeaderId::min_se) header.value = sip::format_min_se(min_se_);
  }
  return headers;
}

sip::Result<void> LegSessionTimer::on_refresh_2xx(TimePoint now, const sip::Message& response) {
  if (!active()) return {};
  SessionTerms asked{std::max(terms_->interval, min_se_), SessionRefresher::osprey};
  auto terms = UacTimerNegotiation::in_dialog(settings_, asked, policy_).read_2xx(response);
  if (!terms) {
    refresh_in_flight_ = false;
    retry_refresh_later(now);
    return tl::unexpected(std::move(terms.error()));
  }
  on_refreshed(now, *terms);
  return {};
}

SessionTimerAction LegSessionTimer::on_refresh_failed(TimePoint now, const sip::Message& response) {
  if (!active() || !refresh_in_flight_) return {};  // stale: a later refresh already decided
  refresh_in_flight_ = false;
  const int status = response.status();
  // RFC 4028 §10: a refresh answered 408 or 481 means the session is gone.
  if (status == 408 || status == 481) return end_call(reason(status, "Session refresh failed"));
  if (refresh_retries_ >= kMaxRefreshRetries) {
    refresh_due_ = session_end();  // no more attempts: poll() ends the call when the interval runs out
    return {};
  }
  ++refresh_retries_;
  if (status == 422) {
    // §7.1 on a refresh: ask again at once with the larger Min-SE, bounded as for any 422.
    auto wanted = sip::min_se(response);
    if (wanted && *wanted) {
      const std::uint32_t raised = sip::effective_min_se(*wanted);
      if (raised > min_se_ && raised <= policy_.max_min_se) {
        min_se_ = raised;
        refresh_due_ = now;
        return poll(now);
      }
    }
  } else if ((status == 405 || status == 501) && in_flight_method_ == RefreshMethod::update) {
    // The peer does not take UPDATE after all: refresh with a re-INVITE instead, now.
    peer_allows_update_ = false;
    refresh_due_ = now;
    return poll(now);
  } else if (status == 491 && session_end() - now > 2 * kTransactionTimeout) {
    refresh_due_ = now + kGlareDelay;
    return {};
  }
  retry_refresh_later(now);
  return {};
}

SessionTimerAction LegSessionTimer::on_refresh_timeout(TimePoint) {
  if (!active() || !refresh_in_flight_) return {};
  refresh_in_flight_ = false;
  return end_call(reason(408, "Session refresh timed out"));
}

void LegSessionTimer::defer_refresh(TimePoint now) {
  if (!refresh_in_flight_) return;
  refresh_in_flight_ = false;
  refresh_due_ = std::min(now + kGlareDelay, session_end());
}

void LegSessionTimer::retry_refresh_later(TimePoint now) {
  // RFC 4028 §10 ends the session only on 408/481/timeouts; after another failure the session
  // lives until its interval runs out, so try again halfway to that end while a transaction
  // still fits, else let it end.
  const auto left = session_end() - now;
  refresh_due_ = left > 2 * kTransactionTimeout ? now + left / 2 : session_end();
}

SessionTimerAction LegSessionTimer::end_call(std::string why) {
  ended_ = true;
  SessionTimerAction action;
  action.kind = SessionTimerAction::Kind::end_call;
  action.reason = std::move(why);
  return action;
}

}  // namespace osprey::sbc
