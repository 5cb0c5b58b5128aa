#pragma once
// Whether an IP literal names a host that cannot be reached from the public Internet: the test
// Kamailio's nathelper applies to a Contact (nat_uac_test flag 1) to tell a UA behind NAT.
//
// Private or reserved:
//  - RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16;
//  - RFC 6598 (carrier-grade NAT): 100.64.0.0/10;
//  - RFC 3927 / RFC 4291 §2.5.6 link-local: 169.254.0.0/16, fe80::/10;
//  - RFC 4193 unique local: fc00::/7;
//  - the unspecified address (0.0.0.0, ::), which no UA can be reached at.
// The same for an IPv4 address written as IPv4-mapped IPv6 (::ffff:10.0.0.1).
// Loopback (127/8, ::1) is not counted: a UA on osprey's own host is reached there, and its
// Contact is honoured.

#include <string>
#include <string_view>

namespace osprey::registrar {

// `host`: an IPv4 literal or an IPv6 literal, with or without brackets. False for anything
// that is not an IP literal (a host name is not judged here).
bool is_private_address(std::string_view host);

// `host` is an IPv4 or IPv6 literal (IPv6 with or without brackets).
bool is_ip_literal(std::string_view host);

// The same literal in one spelling ("::ffff:192.0.2.1" and "[::FFFF:c000:201]" as
// "192.0.2.1"), for comparing two addresses; empty when `host` is no IP literal.
std::string canonical_address(std::string_view host);

}  // namespace osprey::registrar
