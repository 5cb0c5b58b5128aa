#pragma once
// host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1, RFC 5118).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace osprey::sip {

enum class HostKind : std::uint8_t { none, hostname, ipv4, ipv6 };

// Classifies `host` exactly (the whole view must be the host); nullopt if it is none of the three.
// IPv6 references are written with brackets. RFC 5118 §4.10: a reference with a third colon
// before an embedded IPv4 address ("2001:db8:::192.0.2.1") is tolerated, as RFC 3261's ABNF allows it.
std::optional<HostKind> classify_host(std::string_view host);

// Reads the host at the start of `text` in one pass: its length (up to the first character that
// cannot belong to a host) and its kind, or nullopt kind if those characters are no valid host.
struct HostScan {
  std::size_t length = 0;
  std::optional<HostKind> kind;
};
HostScan scan_host(std::string_view text);

// The one spelling of a host that every layer compares (access control, registrar, Route
// processing, loop detection): two hosts name the same place exactly when their canonical forms
// are equal. RFC 3261 §19.1.4 compares hosts case-insensitively and leaves the rest to the
// implementation; an attacker picks whatever spelling a comparison forgets, so all of them fold:
// - a host name is lower-cased and loses its trailing dot ("LOCALHOST." -> "localhost");
// - an IPv4 address loses leading zeros, each octet read as decimal ("127.0.0.01" -> "127.0.0.1");
// - an IPv6 reference is written in RFC 5952 form, in brackets ("[::1]"), and an IPv4-mapped one
//   ("[::ffff:127.0.0.1]") becomes its IPv4 address: it reaches the same socket.
// Text that is no host is returned lower-cased, so it can still only equal itself.
std::string canonical_host(std::string_view host);

// The address inside an IPv6 reference: "[::1]" -> "::1" (RFC 3261 §25.1 writes IPv6 hosts in
// brackets; socket APIs and certificate checks want the bare address). Text that does not both
// start with '[' and end with ']' is returned unchanged, so a truncated "[::1" is never cut short
// into a different, valid-looking address.
std::string_view without_brackets(std::string_view host);

// Parses a port (1*DIGIT, at most 65535).
std::optional<std::uint16_t> parse_port(std::string_view digits);

}  // namespace osprey::sip
