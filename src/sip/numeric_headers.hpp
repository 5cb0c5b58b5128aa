#pragma once
// Headers whose value is a number, and the two numeric rules other headers reuse:
// delta-seconds (RFC 3261 §25.1) and qvalue (§20.10). Expires and Min-Expires (RFC 3261 §20.19,
// §20.23), Session-Expires and Min-SE (RFC 4028 §4, §5), Retry-After (RFC 3261 §20.33),
// Timestamp (§20.38), RSeq and RAck (RFC 3262 §7.1, §7.2). Max-Forwards is parsed by Message.

#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/error.hpp"
#include "sip/message.hpp"
#include "sip/method.hpp"

namespace osprey::sip {

// RFC 3261 §20.19: an expiration is "between 0 and (2**32)-1" seconds.
inline constexpr std::uint32_t kMaxDeltaSeconds = 0xFFFFFFFFU;

// What a delta-seconds larger than 2**32-1 becomes. RFC 3261 §20.19 bounds the value, so the
// default is to reject it (400; RFC 4475 §3.1.2.4 scalar02 is an invalid message). RFC 3261
// §10.2.1 adds, for the expiration of a registration: "Implementations MAY treat values larger
// than 2**32-1 (4294967295 seconds or 136 years) as equivalent to 2**32-1" — `saturate` is that
// MAY, a named switch a registrar can turn on. (A *malformed* value SHOULD be treated as 3600,
// §20.10: that is the registrar's decision on the error, not the parser's.)
enum class Overlarge : std::uint8_t { reject, saturate };

// delta-seconds = 1*DIGIT, no sign, no LWS inside. `header` and `offset` name the defect.
Result<std::uint32_t> parse_delta_seconds(std::string_view digits, std::string_view header,
                                          std::size_t offset = 0, Overlarge overlarge = Overlarge::reject);

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) as integer thousandths 0..1000
// ("0.33" -> 330, "1" -> 1000); nullopt for anything else.
std::optional<std::uint16_t> parse_qvalue(std::string_view text);

// Expires = "Expires" HCOLON delta-seconds (RFC 3261 §20.19).
Result<std::uint32_t> parse_expires(std::string_view value, std::size_t offset = 0,
                                    Overlarge overlarge = Overlarge::reject);
// Min-Expires = "Min-Expires" HCOLON delta-seconds (RFC 3261 §20.23).
Result<std::uint32_t> parse_min_expires(std::string_view value, std::size_t offset = 0);

// RFC 4028 §4: Session-Expires = ("Session-Expires" / "x") HCOLON delta-seconds *(SEMI se-params),
// se-params = refresher-param / generic-param, refresher-param = "refresher" EQUAL ("uas" / "uac").
// A second refresher parameter is malformed (ambiguous). Formatting, the 90-second floor and the
// "timer" option tag: sip/session_timer_headers.hpp.
enum class Refresher : std::uint8_t { none, uac, uas };
struct SessionExpires {
  std::uint32_t seconds = 0;
  Refresher refresher = Refresher::none;  // none: the parameter is absent
  std::string_view params;                // all parameters as written, with the leading ';'
};
Result<SessionExpires> parse_session_expires(std::string_view value, std::size_t offset = 0);

// RFC 4028 §5: Min-SE = "Min-SE" HCOLON delta-seconds *(SEMI generic-param).
struct MinSE {
  std::uint32_t seconds = 0;
  std::string_view params;
};
Result<MinSE> parse_min_se(std::string_view value, std::size_t offset = 0);

// RFC 3261 §20.33: Retry-After = "Retry-After" HCOLON delta-seconds [ comment ] *( SEMI retry-param ),
// retry-param = ("duration" EQUAL delta-seconds) / generic-param.
struct RetryAfter {
  std::uint32_t seconds = 0;
  std::string_view comment;  // with its parentheses, empty if absent
  std::optional<std::uint32_t> duration;
  std::string_view params;
};
Result<RetryAfter> parse_retry_after(std::string_view value, std::size_t offset = 0);

// RFC 3261 §20.38: Timestamp = "Timestamp" HCOLON 1*(DIGIT) [ "." *(DIGIT) ] [ LWS delay ],
// delay = *(DIGIT) [ "." *(DIGIT) ]. Kept as text: a UAS copies the value into its response and
// adds its own delay (§8.2.6.1), so no precision is lost to a conversion.
struct Timestamp {
  std::string_view value;  // "54.0"
  std::string_view delay;  // empty if absent
};
Result<Timestamp> parse_timestamp(std::string_view value, std::size_t offset = 0);

// RFC 3262 §7.1: RSeq = "RSeq" HCOLON response-num, response-num = 1*DIGIT (a 32-bit counter, §3).
Result<std::uint32_t> parse_rseq(std::string_view value, std::size_t offset = 0);

// RFC 3262 §7.2: RAck = "RAck" HCOLON response-num LWS CSeq-num LWS Method.
struct RAck {
  std::uint32_t response_num = 0;
  std::uint32_t cseq = 0;  // less than 2**31, as any CSeq (RFC 3261 §8.1.1.5)
  std::string_view method_text;
  Method method = Method::unknown;
};
Result<RAck> parse_rack(std::string_view value, std::size_t offset = 0);

// The header of `message`, parsed; nullopt if absent, an error if malformed or present twice.
Result<std::optional<std::uint32_t>> expires(const Message& message, Overlarge overlarge = Overlarge::reject);
Result<std::optional<std::uint32_t>> min_expires(const Message& message);
Result<std::optional<SessionExpires>> session_expires(const Message& message);
Result<std::optional<MinSE>> min_se(const Message& message);
Result<std::optional<RetryAfter>> retry_after(const Message& message);
Result<std::optional<Timestamp>> timestamp(const Message& message);
Result<std::optional<std::uint32_t>> rseq(const Message& message);
Result<std::optional<RAck>> rack(const Message& message);

}  // namespace osprey::sip
