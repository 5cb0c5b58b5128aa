#pragma once
// RFC 4028 negotiation on one leg of a B2BUA call: osprey is the UAS of the INVITEs and UPDATEs
// the leg's peer sends (§9) and the UAC of those it sends on the leg (§7). Each leg negotiates
// its own interval and refresher; nothing here crosses from one leg to the other. Pure: it
// reads messages and returns decisions and header values; no I/O, no clock.
//
// The RFC's "uac"/"uas" name the sides of the transaction that negotiated; what a leg keeps is
// who refreshes from osprey's point of view (SessionRefresher), which is what the leg's timer
// (sbc/session_timer.hpp) needs whichever side sent the last re-INVITE.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sbc/trunk.hpp"
#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::sbc {

enum class SessionRefresher : std::uint8_t { osprey, peer };

// What a successful negotiation agreed on for the leg.
struct SessionTerms {
  std::uint32_t interval = 0;  // seconds, RFC 4028's "session interval"
  SessionRefresher refresher = SessionRefresher::osprey;
  friend bool operator==(const SessionTerms&, const SessionTerms&) = default;
};

// Choices RFC 4028 leaves to the implementation, with osprey's defaults.
struct SessionTimerPolicy {
  // A peer without "Supported: timer" (§9 table: refresher=uas) or a 2xx without
  // Session-Expires (§7.2): osprey keeps a timer on the leg anyway and refreshes it itself, so
  // a call whose endpoint vanished is still found out (its refresh fails) and torn down.
  bool refresh_without_peer_support = true;
  // A 422's Min-SE above this is not followed: the request fails instead of agreeing to keep a
  // possibly dead call for longer than this many seconds.
  std::uint32_t max_min_se = 7200;
  // 422 retries of one request (each must also raise Min-SE, RFC 4028 §7.1).
  std::uint32_t max_422_retries = 2;
};

// A header value the caller writes into the message it sends: Session-Expires and Min-SE
// replace any such line; for Supported and Require, "timer" is added to the list.
struct TimerHeader {
  sip::HeaderId id = sip::HeaderId::other;
  std::string value;
  friend bool operator==(const TimerHeader&, const TimerHeader&) = default;
};
using TimerHeaders = std::vector<TimerHeader>;

// Writes `headers` into `message` as described at TimerHeader ("timer" is not listed twice).
void apply_timer_headers(const TimerHeaders& headers, sip::Message& message);

// Removes what belongs to the other leg's negotiation from a message copied across the B2BUA:
// Session-Expires and Min-SE, and "timer" from Supported and Require (each leg says for itself
// whether it supports timers, through the headers of this file).
void remove_timer_headers(sip::Message& message);

// The peer's Allow lists UPDATE (RFC 3311), so a refresh can be an UPDATE, which needs no
// offer/answer (RFC 4028 §10 allows either). Method names are case-sensitive (RFC 3261 §7.1).
bool allows_update(const sip::Message& message);

// ---- osprey as UAS: an INVITE or UPDATE from the leg's peer (RFC 4028 §9).
struct UasTimerDecision {
  enum class Kind : std::uint8_t {
    no_timer,           // answer without Session-Expires: no timer on the leg
    timer,              // answer 2xx with `headers`; the leg runs `terms`
    interval_too_small  // answer 422 (Session Interval Too Small) with `headers` (Min-SE)
  };
  Kind kind = Kind::no_timer;
  std::optional<SessionTerms> terms;
  TimerHeaders headers;
};
// A malformed Session-Expires or Min-SE is the ParseError ("Malformed Session-Expires: ...", 400).
sip::Result<UasTimerDecision> decide_as_uas(const SessionTimerSettings& settings, const sip::Message& request,
                                            const SessionTimerPolicy& policy = {});

// ---- osprey as UAC: an INVITE or UPDATE osprey sends on the leg (RFC 4028 §7).
// One per request, kept across its 422 retries.
class UacTimerNegotiation {
 public:
  // An initial INVITE (§7.1): Session-Expires is the settings' interval, no refresher parameter
  // (RECOMMENDED, so the UAS chooses), Min-SE the settings' minimum.
  UacTimerNegotiation(const SessionTimerSettings& settings, const SessionTimerPolicy& policy = {});
  // A request inside a dialog that has `current` terms (§7.4): the same interval, and the
  // refresher kept (refresher=uac when osprey refreshes, uas when the peer does).
  static UacTimerNegotiation in_dialog(const SessionTimerSettings& settings, SessionTerms current,
                                       const SessionTimerPolicy& policy = {});

  // Supported: timer, Session-Expires, Min-SE; nothing when timers are off for the trunk.
  TimerHeaders request_headers() const;

  // §7.2: the terms the 2xx sets; nullopt: no timer on the leg. A 2xx without Session-Expires
  // means the peer runs none; osprey still refreshes at its own interval when the policy says so.
  sip::Result<std::optional<SessionTerms>> read_2xx(const sip::Message& response) const;

  // §7.1 on a 422: true when the request should be sent again (new CSeq) with request_headers(),
  // which now carry the 422's Min-SE. False (the 422 stands) when the 422 has no usable Min-SE,
  // does not raise it, raises it above the policy's cap, or the retries are used up.
  bool on_422(const sip::Message& response);

  std::uint32_t session_expires() const { return session_expires_; }
  std::uint32_t min_se() const { return min_se_; }

 private:
  bool enabled_ = false;
  SessionTimerPolicy policy_;
  std::uint32_t session_expires_ = 0;
  std::uint32_t min_se_ = 0;
  std::optional<SessionRefresher> refresher_;  // the refresher parameter asked for, if any
  std::uint32_t retries_ = 0;
};

}  // namespace osprey::sbc
