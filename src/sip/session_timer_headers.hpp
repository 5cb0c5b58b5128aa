#pragma once
// RFC 4028 session timers: the Session-Expires (compact "x") and Min-SE headers, their parse
// (in numeric_headers.hpp, beside the other delta-seconds headers), their formatting, and the
// rules RFC 4028 gives for values below the 90-second floor.
//
// Values below 90 are well-formed (delta-seconds), so they parse; what they mean is decided here:
//   - Session-Expires below the receiver's minimum (never below 90) is answered with 422 and a
//     Min-SE (RFC 4028 §9; sbc/session_timer_negotiation.hpp does that), not with 400.
//   - Min-SE "MUST NOT" be below 90 (RFC 4028 §5) and is 90 when absent: effective_min_se()
//     reads a smaller value as 90, so a peer cannot talk anyone into refreshing faster than that.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/message.hpp"
#include "sip/numeric_headers.hpp"

namespace osprey::sip {

// RFC 4028 §4: "the absolute minimum for the Session-Expires is 90 seconds" (a bit more than
// twice the 32 s a transaction can take to time out, so a refresh can be retried once), and
// §5: the Min-SE default when the header is absent.
inline constexpr std::uint32_t kMinimumSessionInterval = 90;

// The option tag of the extension (RFC 4028 §3), in Supported and Require.
inline constexpr std::string_view kTimerOptionTag = "timer";

// "uac" / "uas"; empty for Refresher::none.
std::string_view to_string(Refresher refresher);

// "1800", "1800;refresher=uas". RFC 4028 §4 grammar, the refresher parameter lower case.
std::string format_session_expires(std::uint32_t seconds, Refresher refresher = Refresher::none);
// A parsed value written again: its seconds, its refresher (canonical spelling), then its other
// generic parameters as written (a proxy in the path may have added some).
std::string format_session_expires(const SessionExpires& value);
// "90" (RFC 4028 §5; osprey adds no parameters).
std::string format_min_se(std::uint32_t seconds);

// RFC 4028 §5: the Min-SE a message states, 90 when absent, and never below 90.
std::uint32_t effective_min_se(const std::optional<MinSE>& min_se);

// RFC 4028 §7.1 / §9: the message's Supported (or Require, for a response) lists "timer".
// Malformed Supported/Require lines count as not listing it.
bool supports_timer(const Message& message);
bool requires_timer(const Message& message);

}  // namespace osprey::sip
