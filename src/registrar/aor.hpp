#pragma once
// The address-of-record as a key (RFC 3261 §10.3 step 5), and which domains the registrar serves
// (§10.3 steps 1 and 5).

#include <string>
#include <string_view>
#include <vector>

#include "sip/uri.hpp"

namespace osprey::registrar {

// The canonical form of a SIP or SIPS AOR, the key of its bindings in the location store:
// "sip:" user "@" host.
//
// RFC 3261 §10.3 step 5: "all URI parameters MUST be removed (including the user-param), and any
// escaped characters MUST be converted to unescaped form". Where the RFC leaves a choice:
// - the host is lower-cased (§19.1.4 compares hosts case-insensitively); the user keeps its case
//   (§19.1.4: userinfo is case-sensitive);
// - the port is dropped: an AOR names a user of a domain, not a server, and clients that put the
//   registrar's port in To must not get a second, separate set of bindings;
// - the scheme is always "sip": a user registering over sips: and over sip: is one user with one
//   set of bindings (as in Kamailio's usrloc, keyed by user@domain). Whether a target may be
//   reached without TLS is the proxy's decision when it routes (RFC 5630), not the key's.
// Without a user part the result is "sip:" host. A URI of any other scheme is returned as
// written: the registrar refuses such AORs, so a lookup by one finds nothing.
std::string canonical_aor(const sip::Uri& uri);

// Whether `host` is one of `domains`. Host names compare case-insensitively (§19.1.4); IP
// literals compare as written (no IPv6 normalisation: configure every spelling clients use).
// An empty list serves nothing.
bool served_domain(std::string_view host, const std::vector<std::string>& domains);

}  // namespace osprey::registrar
