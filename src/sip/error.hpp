#pragma once
// Errors are values (DESIGN.md): every parse function returns tl::expected<T, ParseError>.

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace osprey::sip {

// What kind of defect a parse found. `need_more` is not a defect: a stream framer
// reports it when the bytes so far are a valid prefix of a message.
enum class ErrorCategory : std::uint8_t {
  need_more,
  start_line,      // request or status line
  version,         // SIP-Version other than SIP/2.0 (RFC 3261 §8.2.2 -> 505)
  header_syntax,   // a header line or a typed header value
  missing_header,  // a mandatory header is absent (RFC 3261 §8.1.1)
  duplicate_header,
  content_length,  // framing: absent on a stream, negative, too large, multiple values
  too_large,       // a configured limit (message size, header count, line length)
  uri,             // a URI that does not follow RFC 3261 §19.1 / RFC 3966
  semantic,        // well-formed but inconsistent (CSeq method vs. request method)
};

std::string_view to_string(ErrorCategory category);

struct ParseError {
  ErrorCategory category = ErrorCategory::header_syntax;
  // Human-readable defect, usable as a SIP reason phrase ("Malformed CSeq").
  std::string reason;
  // The header the defect is in (canonical name), empty for the start line or framing.
  std::string header;
  // Byte offset in the input where the defect was found.
  std::size_t offset = 0;
  // The status a server answers with (400, 413, 505, 513...), 0 if none (responses are dropped).
  int server_status = 400;
};

template <typename T>
using Result = tl::expected<T, ParseError>;

inline tl::unexpected<ParseError> make_error(ErrorCategory category, std::string reason,
                                             std::string header = {}, std::size_t offset = 0,
                                             int server_status = 400) {
  return tl::unexpected<ParseError>(
      ParseError{category, std::move(reason), std::move(header), offset, server_status});
}

}  // namespace osprey::sip
