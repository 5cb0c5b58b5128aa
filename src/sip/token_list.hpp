#pragma once
// Headers whose value is a comma-separated list of tokens (RFC 3261 §25.1 unless noted):
//   Allow            = "Allow" HCOLON [Method *(COMMA Method)]                 (may be empty)
//   Supported        = ("Supported" / "k") HCOLON [option-tag *(COMMA option-tag)] (may be empty)
//   Require, Proxy-Require, Unsupported = option-tag *(COMMA option-tag)
//   Allow-Events     = ("Allow-Events" / "u") HCOLON event-type *(COMMA event-type)  (RFC 6665 §8.4)
//   Content-Encoding = ("Content-Encoding" / "e") HCOLON content-coding *(COMMA content-coding)
//   Content-Language = "Content-Language" HCOLON language-tag *(COMMA language-tag),
//                      language-tag = primary-tag *( "-" subtag ), both 1*8ALPHA
//   Accept-Encoding  = "Accept-Encoding" HCOLON [ encoding *(COMMA encoding) ]  (may be empty),
//                      encoding = codings *(SEMI accept-param), codings = content-coding / "*"
//   Accept-Language  = "Accept-Language" HCOLON [ language *(COMMA language) ]  (may be empty),
//                      language = language-range *(SEMI accept-param)
// The result is the list of tokens (views into the value); parameters of Accept-Encoding and
// Accept-Language are checked (q must be a qvalue) but not returned.

#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::sip {

// Parses one line's value. `header` selects the rule above by name (full or compact form); any
// other header is read as a non-empty list of plain tokens.
Result<std::vector<std::string_view>> parse_token_list(std::string_view value, std::string_view header,
                                                       std::size_t offset = 0);

// The same checks without keeping the tokens (and without allocating): for validation.
Result<void> check_token_list(std::string_view value, std::string_view header, std::size_t offset = 0);

// Every line of `id` in `message` as one list, in order. No such header is an empty list.
Result<std::vector<std::string_view>> token_list(const Message& message, HeaderId id);

// True if `list` holds `token`, ignoring ASCII case (RFC 3261 §7.3.1: tokens are
// case-insensitive; use it for option tags, codings, event types). Method names are
// case-sensitive (§7.1): compare Allow entries with == instead.
bool contains_token(const std::vector<std::string_view>& list, std::string_view token);

}  // namespace osprey::sip
