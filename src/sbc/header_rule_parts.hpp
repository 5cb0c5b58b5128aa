#pragma once
// Reading and writing one part (user, host, port, parameter, display name...) of a URI or of a
// name-addr element (RFC 3261 §20.10, §25.1) for header rules. A write returns the element's
// new text, checked by parsing it again, so a rule never leaves a URI osprey itself would refuse.

#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "sbc/header_rule.hpp"

namespace osprey::sbc {

// The part of a URI; nullopt when absent (a port not written, a parameter not there) or when
// the URI has no such part (a tel: URI has no host, an unknown scheme only its whole text).
// `part` is one of value, uri, user, host, port, uri_param.
std::optional<std::string_view> read_uri_part(std::string_view uri, HeaderPart part, std::string_view param);

// The part of a name-addr element (the whole element for HeaderPart::value; the display name
// without its quotes). nullopt when absent or when the element does not parse.
std::optional<std::string_view> read_element_part(std::string_view element, HeaderPart part,
                                                  std::string_view param);

// The URI with `part` set to `value` (nullopt: removed). Unchanged (nullopt) when the URI has no
// such part (an unknown scheme, a tel: URI's host); an error when the result is no URI
// (checked by the caller when `inside_name_addr`).
tl::expected<std::optional<std::string>, std::string> write_uri_part(std::string_view uri, HeaderPart part,
                                                                     std::string_view param,
                                                                     std::optional<std::string_view> value,
                                                                     bool request_uri,
                                                                     bool inside_name_addr = false);

// The name-addr element with `part` set to `value` (nullopt: removed); same rules.
tl::expected<std::optional<std::string>, std::string> write_element_part(
    std::string_view element, HeaderPart part, std::string_view param, std::optional<std::string_view> value);

}  // namespace osprey::sbc
