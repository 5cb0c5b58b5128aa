#include "sip/numeric_headers.hpp"

#include "sip/header_lines.hpp"
#include "sip/params.hpp"
#include "sip/scanner.hpp"
#include "sip/text_rules.hpp"
#include "sip/typed_header_support.hpp"

namespace osprey::sip {

namespace {

// Position of `part`, a view into `whole`, within `whole`.
std::size_t position_in(std::string_view whole, std::string_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

constexpr std::uint64_t kMaxCSeq = (1ULL << 31) - 1;      // RFC 3261 §8.1.1.5
constexpr std::uint64_t kMaxResponseNum = 0xFFFFFFFFULL;  // RFC 3262 §3: a 32-bit counter

// delta-seconds at the scanner (leading LWS skipped).
Result<std::uint32_t> scan_delta_seconds(Scanner& s, std::string_view header, std::size_t offset,
                                         Overlarge overlarge = Overlarge::reject) {
  s.skip_lws();
  std::size_t start = s.pos();
  std::string_view digits = s.take_class(kDigit);
  return parse_delta_seconds(digits, header, offset + start, overlarge);
}

// A value that is nothing but delta-seconds (Expires, Min-Expires).
Result<std::uint32_t> parse_lone_delta_seconds(std::string_view value, std::string_view header,
                                               std::size_t offset, Overlarge overlarge) {
  Scanner s(value);
  auto seconds = scan_delta_seconds(s, header, offset, overlarge);
  if (!seconds) return seconds;
  if (auto end = expect_value_end(s, header, offset); !end) return tl::unexpected(std::move(end.error()));
  return seconds;
}

// 1*DIGIT no larger than `max` at the scanner.
Result<std::uint32_t> scan_number(Scanner& s, std::string_view header, std::size_t offset, std::uint64_t max,
                                  std::string_view what) {
  std::size_t start = s.pos();
  std::string_view digits = s.take_class(kDigit);
  auto n = parse_decimal(digits, max);
  if (!n) {
    return malformed(header,
                     digits.empty() ? "missing " + std::string(what) : std::string(what) + " too large",
                     offset + start);
  }
  return static_cast<std::uint32_t>(*n);
}

}  // namespace

Result<std::uint32_t> parse_delta_seconds(std::string_view digits, std::string_view header,
                                          std::size_t offset, Overlarge overlarge) {
  if (digits.empty()) return malformed(header, "missing delta-seconds", offset);
  std::uint64_t value = 0;
  bool overlarge_value = false;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    char c = digits[i];
    if (!is_digit(c)) return malformed(header, "delta-seconds must be digits", offset + i);
    if (!overlarge_value) {
      // value <= 2**32-1 before this step, so value * 10 + 9 fits in 64 bits.
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      overlarge_value = value > kMaxDeltaSeconds;
    }
  }
  if (overlarge_value) {
    if (overlarge == Overlarge::saturate) return kMaxDeltaSeconds;  // RFC 3261 §10.2.1 MAY
    return malformed(header, "delta-seconds larger than 2**32-1", offset);
  }
  return static_cast<std::uint32_t>(value);
}

std::optional<std::uint16_t> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  unsigned whole = text[0] == '1' ? 1U : 0U;
  if (text.size() == 1) return static_cast<std::uint16_t>(whole * 1000);
  if (text[1] != '.') return std::nullopt;
  std::string_view fraction = text.substr(2);
  if (fraction.size() > 3) return std::nullopt;
  unsigned thousandths = 0;
  unsigned scale = 100;
  for (char c : fraction) {
    if (!is_digit(c)) return std::nullopt;
    // "1" [ "." 0*3("0") ]: nothing above 1.000.
    if (whole == 1 && c != '0') return std::nullopt;
    thousandths += static_cast<unsigned>(c - '0') * scale;
    scale /= 10;
  }
  return static_cast<std::uint16_t>(whole * 1000 + thousandths);
}

Result<std::uint32_t> parse_expires(std::string_view value, std::size_t offset, Overlarge overlarge) {
  return parse_lone_delta_seconds(value, "Expires", offset, overlarge);
}

Result<std::uint32_t> parse_min_expires(std::string_view value, std::size_t offset) {
  return parse_lone_delta_seconds(value, "Min-Expires", offset, Overlarge::reject);
}

Result<SessionExpires> parse_session_expires(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "Session-Expires";
  SessionExpires result;
  Scanner s(value);
  auto seconds = scan_delta_seconds(s, kHeader, offset);
  if (!seconds) return tl::unexpected(std::move(seconds.error()));
  result.seconds = *seconds;
  auto params = scan_header_params(s, kHeader, offset);
  // "Malformed Session-Expires: ..." / "Malformed Min-SE: ...", like every typed header.
  if (!params) return relabel(std::move(params.error()), kHeader);
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  result.params = *params;
  bool bad_refresher = false;
  bool twice = false;
  for_each_param(result.params, [&](const Param& p) {
    if (!iequals(p.name, "refresher")) return true;
    // Two refresher parameters are ambiguous: one element reading the first and another the
    // last would disagree on who refreshes (and so on when the session ends).
    if (result.refresher != Refresher::none) {
      twice = true;
      return false;
    }
    if (iequals(p.value, "uac")) result.refresher = Refresher::uac;
    if (iequals(p.value, "uas")) result.refresher = Refresher::uas;
    if (result.refresher == Refresher::none) {
      bad_refresher = true;
      return false;
    }
    return true;
  });
  if (bad_refresher) {
    return malformed(kHeader, "refresher must be uac or uas", offset + position_in(value, result.params));
  }
  if (twice) {
    return malformed(kHeader, "duplicate refresher parameter", offset + position_in(value, result.params));
  }
  return result;
}

Result<MinSE> parse_min_se(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "Min-SE";
  MinSE result;
  Scanner s(value);
  auto seconds = scan_delta_seconds(s, kHeader, offset);
  if (!seconds) return tl::unexpected(std::move(seconds.error()));
  result.seconds = *seconds;
  auto params = scan_header_params(s, kHeader, offset);
  // "Malformed Session-Expires: ..." / "Malformed Min-SE: ...", like every typed header.
  if (!params) return relabel(std::move(params.error()), kHeader);
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  result.params = *params;
  return result;
}

Result<RetryAfter> parse_retry_after(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "Retry-After";
  RetryAfter result;
  Scanner s(value);
  auto seconds = scan_delta_seconds(s, kHeader, offset);
  if (!seconds) return tl::unexpected(std::move(seconds.error()));
  result.seconds = *seconds;
  // [ comment ]: LPAREN = SWS "(" SWS, so LWS before it is optional.
  std::size_t before_comment = s.pos();
  s.skip_lws();
  if (s.peek() == '(') {
    auto comment = take_comment(s);
    if (!comment) return malformed(kHeader, "malformed comment", offset + s.pos());
    result.comment = *comment;
  } else {
    s.set_pos(before_comment);
  }
  auto params = scan_header_params(s, kHeader, offset);
  if (!params) return tl::unexpected(std::move(params.error()));
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  result.params = *params;
  std::optional<ParseError> error;
  for_each_param(result.params, [&](const Param& p) {
    if (!iequals(p.name, "duration")) return true;
    auto duration = parse_delta_seconds(p.value, kHeader, offset + position_in(value, p.value));
    if (!duration) {
      error = std::move(duration.error());
      return false;
    }
    if (!result.duration) result.duration = *duration;
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return result;
}

Result<Timestamp> parse_timestamp(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "Timestamp";
  Timestamp result;
  Scanner s(value);
  s.skip_lws();
  std::size_t start = s.pos();
  if (s.take_class(kDigit).empty()) return malformed(kHeader, "missing digits", offset + start);
  if (s.consume('.')) s.take_class(kDigit);
  result.value = value.substr(start, s.pos() - start);
  if (s.skip_lws() && !s.at_end()) {
    // delay = *(DIGIT) [ "." *(DIGIT) ]
    std::size_t delay_start = s.pos();
    s.take_class(kDigit);
    if (s.consume('.')) s.take_class(kDigit);
    result.delay = value.substr(delay_start, s.pos() - delay_start);
  }
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  return result;
}

Result<std::uint32_t> parse_rseq(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "RSeq";
  Scanner s(value);
  s.skip_lws();
  auto n = scan_number(s, kHeader, offset, kMaxResponseNum, "response-num");
  if (!n) return n;
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  return n;
}

Result<RAck> parse_rack(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "RAck";
  RAck result;
  Scanner s(value);
  s.skip_lws();
  auto response_num = scan_number(s, kHeader, offset, kMaxResponseNum, "response-num");
  if (!response_num) return tl::unexpected(std::move(response_num.error()));
  result.response_num = *response_num;
  if (!s.skip_lws()) return malformed(kHeader, "missing LWS after response-num", offset + s.pos());
  auto cseq = scan_number(s, kHeader, offset, kMaxCSeq, "CSeq-num");
  if (!cseq) return tl::unexpected(std::move(cseq.error()));
  result.cseq = *cseq;
  if (!s.skip_lws()) return malformed(kHeader, "missing LWS after CSeq-num", offset + s.pos());
  std::size_t method_start = s.pos();
  result.method_text = s.take_token();
  if (result.method_text.empty()) return malformed(kHeader, "missing method", offset + method_start);
  result.method = lookup_method(result.method_text);
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  return result;
}

Result<std::optional<std::uint32_t>> expires(const Message& message, Overlarge overlarge) {
  return parse_single_line<std::uint32_t>(message, HeaderId::expires,
                                          [overlarge](std::string_view value, std::size_t offset) {
                                            return parse_expires(value, offset, overlarge);
                                          });
}

Result<std::optional<std::uint32_t>> min_expires(const Message& message) {
  return parse_single_line<std::uint32_t>(message, HeaderId::min_expires, parse_min_expires);
}

Result<std::optional<SessionExpires>> session_expires(const Message& message) {
  return parse_single_line<SessionExpires>(message, HeaderId::session_expires, parse_session_expires);
}

Result<std::optional<MinSE>> min_se(const Message& message) {
  return parse_single_line<MinSE>(message, HeaderId::min_se, parse_min_se);
}

Result<std::optional<RetryAfter>> retry_after(const Message& message) {
  return parse_single_line<RetryAfter>(message, HeaderId::retry_after, parse_retry_after);
}

Result<std::optional<Timestamp>> timestamp(const Message& message) {
  return parse_single_line<Timestamp>(message, HeaderId::timestamp, parse_timestamp);
}

Result<std::optional<std::uint32_t>> rseq(const Message& message) {
  return parse_single_line<std::uint32_t>(message, HeaderId::rseq, parse_rseq);
}

Result<std::optional<RAck>> rack(const Message& message) {
  return parse_single_line<RAck>(message, HeaderId::rack, parse_rack);
}

}  // namespace osprey::sip
