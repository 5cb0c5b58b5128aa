#pragma once
// How the typed-header gatherers reach a header's lines in a Message, and the one error shape
// they all report: "Malformed <Header>: <why>" with the header's canonical name (400).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {

// One header line's value and where it starts in the message buffer (0 for lines added by edits,
// which live in the edit arena, not in the buffer).
struct HeaderLine {
  std::string_view value;
  std::size_t offset = 0;
};

// Calls visit(HeaderLine) for each line with `id`, in order; visit returns false to stop.
template <typename Visit>
void for_each_header_line(const Message& message, HeaderId id, Visit&& visit) {
  for (const HeaderField& field : message.fields()) {
    if (field.id != id || field.removed()) continue;
    HeaderLine line{message.value(field), field.in_arena() ? 0 : field.value_begin};
    if (!visit(line)) return;
  }
}

// The line of a header that may appear at most once, nullopt if absent. RFC 3261 §7.3.1: only a
// header whose whole value is a comma-separated list may appear on several lines, so a second
// line of a single-valued header is a defect (400).
Result<std::optional<HeaderLine>> single_line(const Message& message, HeaderId id);

// Parses the single line of `id` with parse(value, offset) -> Result<T>: nullopt if the header is
// absent, the parse error if it is malformed, a duplicate_header error if it is present twice.
template <typename T, typename Parse>
Result<std::optional<T>> parse_single_line(const Message& message, HeaderId id, Parse&& parse) {
  auto line = single_line(message, id);
  if (!line) return tl::unexpected(std::move(line.error()));
  if (!*line) return std::optional<T>{};
  Result<T> parsed = parse((*line)->value, (*line)->offset);
  if (!parsed) return tl::unexpected(std::move(parsed.error()));
  return std::optional<T>{std::move(*parsed)};
}

// The error every typed-header parser reports: header_syntax, "Malformed <header>: <detail>".
inline tl::unexpected<ParseError> malformed(std::string_view header, std::string_view detail,
                                            std::size_t offset) {
  std::string reason = "Malformed ";
  reason.append(header);
  reason.append(": ");
  reason.append(detail);
  return make_error(ErrorCategory::header_syntax, std::move(reason), std::string(header), offset);
}

// After the last item of a value only LWS may follow; anything else is reported at its position.
inline Result<void> expect_value_end(Scanner& scanner, std::string_view header, std::size_t offset) {
  scanner.skip_lws();
  if (!scanner.at_end()) return malformed(header, "unexpected characters", offset + scanner.pos());
  return {};
}

}  // namespace osprey::sip
