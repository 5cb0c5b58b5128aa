#include "sip/date_header.hpp"

#include <array>

#include "sip/char_class.hpp"
#include "sip/header_lines.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {

namespace {

// Position of `part`, a view into `whole`, within `whole`.
std::size_t position_in(std::string_view whole, std::string_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

constexpr std::string_view kHeader = "Date";

constexpr std::array<std::string_view, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// 0000-01-01 and 9999-12-31 23:59:59 as Unix seconds: the range 4DIGIT years can express.
constexpr std::int64_t kMinWritable = -62167219200LL;
constexpr std::int64_t kMaxWritable = 253402300799LL;

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap_year(year)) return 29;
  return kDays[static_cast<std::size_t>(month - 1)];
}

// Index of `name` in `names` (exact, case-sensitive), or -1.
template <std::size_t N>
int index_of(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

// Exactly `count` digits at `text[at]`, as a number; -1 if not.
int fixed_digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!is_digit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Inverse of days_from_civil (H. Hinnant's civil_from_days).
void civil_from_days(std::int64_t days, std::int64_t& year, int& month, int& day) {
  days += 719468;
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  auto day_of_era = static_cast<std::int64_t>(days - era * 146097);  // [0, 146096]
  std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;  // [0, 399]
  std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // [0, 365]
  std::int64_t shifted_month = (5 * day_of_year + 2) / 153;                    // [0, 11], March = 0
  day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
}

// Writes into a fixed buffer: the Date of every REGISTER's 200 costs no allocation.
class DateWriter {
 public:
  explicit DateWriter(char* out) : out_(out) {}
  void text(std::string_view value) {
    for (char c : value) *out_++ = c;
  }
  void two_digits(int value) {
    *out_++ = static_cast<char>('0' + value / 10);
    *out_++ = static_cast<char>('0' + value % 10);
  }

 private:
  char* out_;
};

}  // namespace

std::int64_t days_from_civil(std::int64_t year, int month, int day) {
  // H. Hinnant, "chrono-Compatible Low-Level Date Algorithms": years start in March, so the
  // leap day is the last day of the shifted year; 400-year eras of 146097 days.
  year -= month <= 2 ? 1 : 0;
  std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  std::int64_t year_of_era = year - era * 400;                                               // [0, 399]
  std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
  return era * 146097 + day_of_era - 719468;
}

std::int64_t SipDate::unix_seconds() const {
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

Result<SipDate> parse_date(std::string_view value, std::size_t offset) {
  // Only the LWS of HCOLON and the line end may surround the date.
  Scanner lead(value);
  lead.skip_lws();
  std::string_view text = lead.rest();
  while (!text.empty() && is_wsp(text.back())) text.remove_suffix(1);
  offset += position_in(value, text);
  // "Sun, 06 Nov 1994 08:49:37 GMT" is exactly 29 octets.
  constexpr std::size_t kLength = 29;
  if (text.size() != kLength) {
    return malformed(kHeader, "not an RFC 1123 date (wkday, DD Mon YYYY HH:MM:SS GMT)", offset);
  }
  SipDate result;
  result.weekday = index_of(kWeekdays, text.substr(0, 3));
  if (result.weekday < 0) return malformed(kHeader, "unknown weekday", offset);
  if (text.substr(3, 2) != ", ") return malformed(kHeader, "expected \", \" after weekday", offset + 3);
  result.day = fixed_digits(text, 5, 2);
  if (result.day < 0 || text[7] != ' ') return malformed(kHeader, "day must be 2 digits", offset + 5);
  int month_index = index_of(kMonths, text.substr(8, 3));
  if (month_index < 0 || text[11] != ' ') return malformed(kHeader, "unknown month", offset + 8);
  result.month = month_index + 1;
  result.year = fixed_digits(text, 12, 4);
  if (result.year < 0 || text[16] != ' ') return malformed(kHeader, "year must be 4 digits", offset + 12);
  result.hour = fixed_digits(text, 17, 2);
  result.minute = fixed_digits(text, 20, 2);
  result.second = fixed_digits(text, 23, 2);
  if (result.hour < 0 || text[19] != ':' || result.minute < 0 || text[22] != ':' || result.second < 0 ||
      text[25] != ' ') {
    return malformed(kHeader, "time must be HH:MM:SS", offset + 17);
  }
  // RFC 3261 §25.1 time: 00:00:00 - 23:59:59.
  if (result.hour > 23 || result.minute > 59 || result.second > 59) {
    return malformed(kHeader, "time out of range", offset + 17);
  }
  if (result.day < 1 || result.day > days_in_month(result.year, result.month)) {
    return malformed(kHeader, "day out of range for the month", offset + 5);
  }
  if (text.substr(26) != "GMT") return malformed(kHeader, "time zone must be GMT", offset + 26);
  return result;
}

SipDateText format_date_text(std::int64_t unix_seconds) {
  if (unix_seconds < kMinWritable) unix_seconds = kMinWritable;
  if (unix_seconds > kMaxWritable) unix_seconds = kMaxWritable;
  // Floor division, so times before 1970 land on the right day.
  std::int64_t days = unix_seconds / 86400;
  std::int64_t seconds_of_day = unix_seconds % 86400;
  if (seconds_of_day < 0) {
    seconds_of_day += 86400;
    --days;
  }
  std::int64_t year = 0;
  int month = 0;
  int day = 0;
  civil_from_days(days, year, month, day);
  // 1970-01-01 was a Thursday (4); weekday of any day by floor modulo 7.
  std::int64_t weekday = (days % 7 + 7 + 4) % 7;

  SipDateText result;
  DateWriter out(result.bytes.data());
  out.text(kWeekdays[static_cast<std::size_t>(weekday)]);
  out.text(", ");
  out.two_digits(day);
  out.text(" ");
  out.text(kMonths[static_cast<std::size_t>(month - 1)]);
  out.text(" ");
  auto y = static_cast<int>(year);
  out.two_digits(y / 100);
  out.two_digits(y % 100);
  out.text(" ");
  auto s = static_cast<int>(seconds_of_day);
  out.two_digits(s / 3600);
  out.text(":");
  out.two_digits(s / 60 % 60);
  out.text(":");
  out.two_digits(s % 60);
  out.text(" GMT");
  return result;
}

std::string format_date(std::int64_t unix_seconds) {
  return std::string(format_date_text(unix_seconds).view());
}

Result<std::optional<SipDate>> date(const Message& message) {
  return parse_single_line<SipDate>(message, HeaderId::date, parse_date);
}

}  // namespace osprey::sip
