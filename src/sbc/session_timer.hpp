#pragma once
// The RFC 4028 session timer of one call leg: when osprey must refresh the session (it is the
// refresher) or when the session has expired (the peer is and did not). Pure: the caller passes
// the time in and acts on what comes back (send the refresh, or BYE both legs with the Reason
// given); no I/O, no clock, no timer of its own. The negotiation that sets the terms is in
// sbc/session_timer_negotiation.hpp:
//
//   LegSessionTimer timer(trunk.session_timers);
//   timer.set_peer_allows_update(allows_update(peer_invite));
//   timer.on_refreshed(now, decision.terms);             // after the 2xx of an INVITE/UPDATE
//   ... at timer.next_deadline(): auto action = timer.poll(now);
//   refresh: send action.method with timer.refresh_headers(); its 2xx -> on_refresh_2xx,
//            another final response -> on_refresh_failed, no response -> on_refresh_timeout
//   end_call: BYE on both legs with "Reason: " + action.reason

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "sbc/session_timer_negotiation.hpp"
#include "sbc/trunk.hpp"
#include "sip/error.hpp"
#include "sip/message.hpp"

namespace osprey::sbc {

// RFC 4028 §10: a refresh is a re-INVITE or an UPDATE; UPDATE when the peer allows it (no
// offer/answer needed, RFC 3311), else re-INVITE (carrying the session's current SDP).
enum class RefreshMethod : std::uint8_t { update, reinvite };

struct SessionTimerAction {
  enum class Kind : std::uint8_t { none, refresh, end_call };
  Kind kind = Kind::none;
  RefreshMethod method = RefreshMethod::reinvite;  // refresh: the request to send on the leg
  // end_call: the Reason header value (RFC 3326) for the BYE on both legs, e.g.
  // `SIP;cause=408;text="Session expired"`: the cause is the SIP status that ended the session
  // (408 when nothing answered in time, RFC 4028 §10 treats a timed-out refresh and a missing
  // one alike; or the 408/481 the refresh got), so the far ends and the logs see why.
  std::string reason;
};

class LegSessionTimer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit LegSessionTimer(const SessionTimerSettings& settings, const SessionTimerPolicy& policy = {});

  // A successful INVITE/UPDATE on the leg (either direction) set `terms` at `now`: the session is
  // refreshed (RFC 4028 §10: any 2xx to a re-INVITE/UPDATE is a refresh) and the interval and
  // refresher may have changed. nullopt: no timer on the leg from now on.
  void on_refreshed(TimePoint now, std::optional<SessionTerms> terms);
  // A Min-SE the leg's peer made osprey raise (UacTimerNegotiation::min_se() after a 422 to the
  // initial INVITE): refreshes carry it too (RFC 4028 §7.4). Never lowers it.
  void raise_min_se(std::uint32_t seconds) { min_se_ = std::max(min_se_, seconds); }
  // From the peer's Allow (its INVITE or 2xx; allows_update()).
  void set_peer_allows_update(bool allowed) { peer_allows_update_ = allowed; }

  // When poll() has something to do next; nullopt: nothing (no timer, or the call ended).
  std::optional<TimePoint> next_deadline() const;
  // What is due at `now`. A refresh is handed out once; until its outcome is reported, only the
  // session's end is watched (the transaction layer times the refresh out, RFC 3261 Timer B/F).
  SessionTimerAction poll(TimePoint now);

  // The headers of the refresh poll() asked for (§7.4): Supported: timer, Session-Expires with
  // the current interval and refresher=uac, Min-SE.
  TimerHeaders refresh_headers() const;
  // The refresh's 2xx (§7.2): the session is refreshed with the terms it sets. An error (and no
  // refresh) when its Session-Expires is malformed.
  sip::Result<void> on_refresh_2xx(TimePoint now, const sip::Message& response);
  // The refresh got a final non-2xx (§10): 408 or 481 end the call; 422 retries at once with
  // its Min-SE (bounded like any 422); 405/501 to an UPDATE retries as a re-INVITE; 491 retries
  // shortly (RFC 3261 §14.1); anything else leaves the session up and retries before it ends.
  SessionTimerAction on_refresh_failed(TimePoint now, const sip::Message& response);
  // The refresh timed out (no final response, §10): end the call.
  SessionTimerAction on_refresh_timeout(TimePoint now);
  // The refresh poll() asked for could not go out yet: another offer or INVITE is in flight on
  // the leg (RFC 3261 §14.1, RFC 3311 §5.1: one at a time). Asked for again shortly, while the
  // session has time left; that other transaction's 2xx refreshes the session anyway.
  void defer_refresh(TimePoint now);

  bool active() const { return terms_.has_value() && !ended_; }
  const std::optional<SessionTerms>& terms() const { return terms_; }

 private:
  TimePoint session_end() const;  // the last refresh plus the interval
  TimePoint peer_expiry() const;  // when osprey gives up on a peer that refreshes (§10)
  SessionTimerAction end_call(std::string reason);
  void retry_refresh_later(TimePoint now);

  SessionTimerSettings settings_;
  SessionTimerPolicy policy_;
  std::optional<SessionTerms> terms_;
  TimePoint refreshed_at_{};
  TimePoint refresh_due_{};  // osprey refreshes: when the next attempt goes out
  bool refresh_in_flight_ = false;
  RefreshMethod in_flight_method_ = RefreshMethod::reinvite;
  bool peer_allows_update_ = false;
  bool ended_ = false;
  std::uint32_t min_se_;               // raised by a 422 to a refresh
  std::uint32_t refresh_retries_ = 0;  // attempts after a failure, since the last refresh
};

}  // namespace osprey::sbc
