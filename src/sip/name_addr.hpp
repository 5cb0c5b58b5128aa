#pragma once
// name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route, Path,
// Reply-To, P-Asserted-Identity... (RFC 3261 §20.10, §25.1).

#include <optional>
#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/params.hpp"
#include "sip/uri.hpp"

namespace osprey::sip {

struct NameAddr {
  std::string_view text;          // the whole element as written
  std::string_view display_name;  // as written: quoted-string with its quotes, or the tokens; may be empty
  Uri uri;
  bool bracketed = false;   // the URI was written in <>
  std::string_view params;  // header parameters as written (";tag=x;q=0.5"), or empty

  std::optional<std::string_view> param(std::string_view name) const;
  // The tag parameter (RFC 3261 §19.3), empty if absent.
  std::string_view tag() const;
  // The display name without quotes and quoted-pair escapes.
  std::string display_text() const;
};

// Parses one element: ( name-addr / addr-spec ) *( SEMI generic-param ).
// `header` names the header in errors; `offset` is the element's offset in the message.
Result<NameAddr> parse_name_addr(std::string_view element, std::string_view header, std::size_t offset = 0);

}  // namespace osprey::sip
