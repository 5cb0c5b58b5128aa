#pragma once
// Free-form identification headers (RFC 3261 §20.35, §20.41, §20.36, §20.25; grammar §25.1):
//   User-Agent   = "User-Agent" HCOLON server-val *(LWS server-val)
//   Server       = "Server" HCOLON server-val *(LWS server-val)
//   server-val   = product / comment
//   product      = token [SLASH product-version],  product-version = token
//   Subject      = ( "Subject" / "s" ) HCOLON [TEXT-UTF8-TRIM]
//   Organization = "Organization" HCOLON [TEXT-UTF8-TRIM]

#include <optional>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::sip {

struct ServerValue {
  std::string_view product;  // "SIPimp.org"; empty for a comment
  std::string_view version;  // "0.2.5"; empty if absent
  std::string_view comment;  // "(curses)" with its parentheses; empty for a product

  bool is_comment() const { return !comment.empty(); }
};

// Parses a User-Agent or Server value; `header` names it in errors. At least one server-val.
Result<std::vector<ServerValue>> parse_server_values(std::string_view value, std::string_view header,
                                                     std::size_t offset = 0);

// Checks a Subject or Organization value (TEXT-UTF8-TRIM or empty) and returns it trimmed.
// A CTL is only allowed as part of a folded line break.
Result<std::string_view> parse_text_utf8(std::string_view value, std::string_view header,
                                         std::size_t offset = 0);

// The User-Agent or Server header of `message` (id selects which); nullopt if absent, an error
// if malformed or present twice.
Result<std::optional<std::vector<ServerValue>>> server_values(const Message& message, HeaderId id);

// The Subject or Organization header of `message` (id selects which), trimmed; nullopt if absent.
Result<std::optional<std::string_view>> text_header(const Message& message, HeaderId id);

}  // namespace osprey::sip
