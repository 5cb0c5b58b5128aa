#pragma once
// host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1, RFC 5118).

#include <cstdint>
#include <optional>
#include <string_view>

namespace osprey::sip {

enum class HostKind : std::uint8_t { none, hostname, ipv4, ipv6 };

// Classifies `host` exactly (the whole view must be the host); nullopt if it is none of the three.
// IPv6 references are written with brackets. RFC 5118 §4.10: a reference with a third colon
// before an embedded IPv4 address ("2001:db8:::192.0.2.1") is tolerated, as RFC 3261's ABNF allows it.
std::optional<HostKind> classify_host(std::string_view host);

// Length of the host at the start of `text` (stops at the first character that cannot be part
// of it); 0 if `text` does not start with a host.
std::size_t host_length(std::string_view text);

// Reads the host at the start of `text` in one pass: its length (up to the first character that
// cannot belong to a host) and its kind, or nullopt kind if those characters are no valid host.
struct HostScan {
  std::size_t length = 0;
  std::optional<HostKind> kind;
};
HostScan scan_host(std::string_view text);

// Parses a port (1*DIGIT, at most 65535).
std::optional<std::uint16_t> parse_port(std::string_view digits);

}  // namespace osprey::sip
