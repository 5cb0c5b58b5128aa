#pragma once
// A binding's source as the SQLite store keeps it: "udp:192.0.2.1:5060",
// "tls:[2001:db8::1]:5061" (transport in lower case, IPv6 in brackets), the text every data
// directory written so far holds. Only the storage boundary reads and writes it; everywhere
// else a source is a store::BindingSource. The connection id is not part of it (ids restart
// with the process).

#include <optional>
#include <string>
#include <string_view>

#include "store/binding.hpp"

namespace osprey::store {

std::string source_text(const BindingSource& source);

// The source `text` names; nullopt for anything else (an empty or hand-edited column, a host
// name, a port of 0 or above 65535, a transport osprey does not speak).
std::optional<BindingSource> parse_source_text(std::string_view text);

}  // namespace osprey::store
