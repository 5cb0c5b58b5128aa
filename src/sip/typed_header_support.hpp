#pragma once
// Small pieces shared by the typed parsers of the auth, identity, referral and diversion headers,
// beside header_lines.hpp (which has the error shape, malformed()): relabelling errors of the
// name-addr and URI parsers, and the rule that a parameter with a typed meaning may not appear
// twice (two values would be ambiguous; RFC 7235 §2.1 says so for auth-params, RFC 3891 §6.1 for
// the Replaces tags).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/header_lines.hpp"
#include "sip/message.hpp"
#include "sip/params.hpp"
#include "sip/value_list.hpp"

namespace osprey::sip {

// Re-labels an error from a lower-level parser (name-addr, URI) so its reason starts with
// "Malformed <header>", keeping its offset shifted by `base`.
tl::unexpected<ParseError> relabel(ParseError error, std::string_view header, std::size_t base = 0);

// The parameter `name` (case-insensitive) of `params` (";a=1;b" as written), nullopt if absent,
// an error if it appears more than once. `element` is the text `params` lies in, for offsets.
Result<std::optional<Param>> unique_param(std::string_view params, std::string_view name,
                                          std::string_view header, std::string_view element);

// A quoted-string's content between its quotes (quoted-pairs as written); other text as is.
constexpr std::string_view strip_quotes(std::string_view raw) {
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') return raw.substr(1, raw.size() - 2);
  return raw;
}

// Where `part` starts inside `whole` (both views of one buffer); 0 if it is not inside.
inline std::size_t offset_in(std::string_view whole, std::string_view part) {
  if (part.data() < whole.data() || part.data() > whole.data() + whole.size()) return 0;
  return static_cast<std::size_t>(part.data() - whole.data());
}

// Moves an error found in a header value (offset relative to the value) to the message.
inline ParseError at_message_offset(ParseError error, std::size_t value_offset) {
  error.offset += value_offset;
  return error;
}

// parse(value) -> Result<T> for every line of `id`, in order; the first error stops.
template <typename T, typename Parse>
Result<std::vector<T>> gather_lines(const Message& message, HeaderId id, Parse&& parse) {
  std::vector<T> all;
  std::optional<ParseError> error;
  for_each_header_line(message, id, [&](const HeaderLine& line) {
    Result<T> parsed = parse(line.value);
    if (!parsed) {
      error = at_message_offset(std::move(parsed.error()), line.offset);
      return false;
    }
    all.push_back(std::move(*parsed));
    return true;
  });
  if (error) return tl::unexpected<ParseError>(std::move(*error));
  return all;
}

// parse(element) -> Result<T> for every comma-separated element of every line of the list header
// `id` (RFC 3261 §7.3.1), in order. An empty element ("a,,b") is a defect of `id`.
template <typename T, typename Parse>
Result<std::vector<T>> gather_elements(const Message& message, HeaderId id, Parse&& parse) {
  std::vector<T> all;
  std::optional<ParseError> error;
  for_each_header_line(message, id, [&](const HeaderLine& line) {
    for_each_list_element(line.value, [&](std::string_view element) {
      std::size_t at = line.offset + offset_in(line.value, element);
      if (element.empty()) {
        error = malformed(canonical_name(id), "empty element in list", at).value();
        return false;
      }
      Result<T> parsed = parse(element);
      if (!parsed) {
        error = at_message_offset(std::move(parsed.error()), at);
        return false;
      }
      all.push_back(std::move(*parsed));
      return true;
    });
    return !error;
  });
  if (error) return tl::unexpected<ParseError>(std::move(*error));
  return all;
}

}  // namespace osprey::sip
