#pragma once
// Content-Type (RFC 3261 §20.15), Accept (§20.1) and Content-Disposition (§20.11), grammar §25.1:
//   Content-Type  = ( "Content-Type" / "c" ) HCOLON media-type
//   media-type    = m-type SLASH m-subtype *(SEMI m-parameter)
//   m-parameter   = m-attribute EQUAL m-value,  m-attribute = token,  m-value = token / quoted-string
//   Accept        = "Accept" HCOLON [ accept-range *(COMMA accept-range) ]
//   accept-range  = media-range *(SEMI accept-param)
//   media-range   = ( "*/*" / ( m-type SLASH "*" ) / ( m-type SLASH m-subtype ) ) *( SEMI m-parameter )
//   accept-param  = ("q" EQUAL qvalue) / generic-param
//   Content-Disposition = "Content-Disposition" HCOLON disp-type *( SEMI disp-param )
//   disp-param    = handling-param / generic-param
//   handling-param = "handling" EQUAL ( "optional" / "required" / other-handling )
// Types, subtypes and parameter names are case-insensitive (RFC 2045 §5.1).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/message.hpp"

namespace osprey::sip {

struct MediaType {
  std::string_view type;     // "application"
  std::string_view subtype;  // "sdp"
  std::string_view params;   // ";charset=utf-8" as written, or empty

  // The value of m-parameter `name` as written (a quoted-string keeps its quotes), if present.
  std::optional<std::string_view> param(std::string_view name) const;
  // The same, without quotes and quoted-pair escapes ("\"a b\"" -> "a b").
  std::optional<std::string> param_text(std::string_view name) const;
  // True if this is type/subtype, ignoring case.
  bool is(std::string_view type_name, std::string_view subtype_name) const;
};
Result<MediaType> parse_content_type(std::string_view value, std::size_t offset = 0);

struct MediaRange {
  std::string_view type;           // may be "*"
  std::string_view subtype;        // may be "*"
  std::string_view params;         // m-parameters and accept-params as written
  std::optional<std::uint16_t> q;  // qvalue in thousandths, nullopt if absent (means 1)

  // True if `media` falls in this range ("*/*", "text/*", or the exact type, ignoring case).
  bool matches(const MediaType& media) const;
};
// Parses one Accept line's value; an empty value is a valid empty list (§20.1: nothing acceptable).
Result<std::vector<MediaRange>> parse_accept(std::string_view value, std::size_t offset = 0);

enum class DispositionHandling : std::uint8_t { required, optional, other };
struct ContentDisposition {
  std::string_view type;  // "session", "render", "icon", "alert" or an extension token
  std::string_view params;
  std::string_view handling;  // as written, empty if absent
  // §20.11: "If the handling parameter is missing, the value 'required' SHOULD be assumed."
  DispositionHandling handling_kind = DispositionHandling::required;
};
Result<ContentDisposition> parse_content_disposition(std::string_view value, std::size_t offset = 0);

// The header of `message`, parsed; nullopt if absent, an error if malformed or present twice.
Result<std::optional<MediaType>> content_type(const Message& message);
Result<std::optional<ContentDisposition>> content_disposition(const Message& message);
// All Accept lines as one list. nullopt if there is no Accept header: RFC 3261 §20.1 then assumes
// application/sdp, while an empty Accept means no body is acceptable.
Result<std::optional<std::vector<MediaRange>>> accept_ranges(const Message& message);

}  // namespace osprey::sip
