#pragma once
// The free-text rules of RFC 3261 §25.1 shared by several headers: UTF8-NONASCII, comment
// (User-Agent, Server, Retry-After, Warning-like values) and TEXT-UTF8-TRIM (Subject,
// Organization). Pure checks over views; nothing is copied.

#include <cstddef>
#include <optional>
#include <string_view>

#include "sip/scanner.hpp"

namespace osprey::sip {

// Length of the UTF8-NONASCII sequence at the start of `text`, 0 if there is none. RFC 3261
// §25.1 spells it as lead byte C0-DF / E0-EF / F0-F7 / F8-FB / FC-FD followed by 1..5 UTF8-CONT
// (80-BF); that grammar, not the narrower RFC 3629 one, is what is checked here.
std::size_t utf8_nonascii_length(std::string_view text);

// comment = LPAREN *(ctext / quoted-pair / comment) RPAREN (RFC 3261 §25.1), nested to any depth
// without recursion. The scanner must be at '('. On success the scanner is after the matching ')'
// and the comment is returned with its parentheses; on failure (unbalanced, a CTL, a bad escape or
// bad UTF-8) nullopt is returned and the scanner is left where it was.
std::optional<std::string_view> take_comment(Scanner& scanner);

// TEXT-UTF8-TRIM, or empty: 1*TEXT-UTF8char *(*LWS TEXT-UTF8char), TEXT-UTF8char = %x21-7E /
// UTF8-NONASCII. LWS is accepted anywhere, including at the ends (callers trim). A CR or LF is only allowed
// as part of a fold (CRLF followed by SP/HTAB).
bool is_text_utf8_trim(std::string_view text);

}  // namespace osprey::sip
