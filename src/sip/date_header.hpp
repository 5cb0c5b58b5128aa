#pragma once
// Date (RFC 3261 §20.17, grammar §25.1):
//   Date         = "Date" HCOLON SIP-date
//   SIP-date     = rfc1123-date
//   rfc1123-date = wkday "," SP date1 SP time SP "GMT"
//   date1        = 2DIGIT SP month SP 4DIGIT        ; day month year (e.g., 02 Jun 1982)
//   time         = 2DIGIT ":" 2DIGIT ":" 2DIGIT     ; 00:00:00 - 23:59:59
// §20.17: "SIP restricts the time zone in SIP-date to "GMT"" and "An RFC 1123 date is
// case-sensitive": names are matched exactly and any other zone ("EST", RFC 4475 §3.1.2.12
// baddate) is rejected. Conversions use proleptic Gregorian days-from-civil arithmetic, with no
// dependence on the C library's time zone or locale.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/message.hpp"

namespace osprey::sip {

struct SipDate {
  int year = 1970;  // 0000..9999
  int month = 1;    // 1..12
  int day = 1;      // 1..28/29/30/31 for that month
  int hour = 0;     // 0..23
  int minute = 0;   // 0..59
  int second = 0;   // 0..59
  int weekday = 4;  // as written: 0 = Sun .. 6 = Sat (not checked against the date; see parse_date)

  // Seconds since 1970-01-01 00:00:00 UTC (negative before it).
  std::int64_t unix_seconds() const;
};

// Parses a SIP-date. The weekday must be one of the seven names but is not required to agree
// with the date: the grammar does not tie them, and the date fields are what the value means.
// Surrounding LWS (from HCOLON) is allowed; inside, exactly the SP of the grammar.
Result<SipDate> parse_date(std::string_view value, std::size_t offset = 0);

// Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar.
std::int64_t days_from_civil(std::int64_t year, int month, int day);

// The SIP-date of `unix_seconds`, for writing a Date header ("Sat, 13 Nov 2010 23:29:00 GMT").
// Times outside years 0000..9999 cannot be written with 4DIGIT and are clamped to that range.
std::string format_date(std::int64_t unix_seconds);
// The same in a buffer of its own (a SIP-date is always 29 octets), for writers that allocate nothing.
struct SipDateText {
  std::array<char, 29> bytes{};
  std::string_view view() const { return {bytes.data(), bytes.size()}; }
};
SipDateText format_date_text(std::int64_t unix_seconds);

// The Date header of `message`; nullopt if absent, an error if malformed or present twice.
Result<std::optional<SipDate>> date(const Message& message);

}  // namespace osprey::sip
