#pragma once
// The header fields a SIP URI can carry after '?' (RFC 3261 §19.1.1, "sip:bob@b.com?Subject=x"):
// how a Refer-To passes Replaces (RFC 3891 §7.1) and a History-Info entry its Reason and
// Privacy (RFC 7044). They are %HH-escaped inside the URI, so reading one copies it.

#include <optional>
#include <string>
#include <string_view>

#include "sip/uri.hpp"

namespace osprey::sip {

// The unescaped value of the first URI header named `name` (case-insensitive, compared after
// unescaping), "" for "?name" or "?name=", nullopt if absent.
std::optional<std::string> uri_header(const Uri& uri, std::string_view name);

}  // namespace osprey::sip
