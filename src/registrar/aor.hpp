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
// - the host is in its canonical form (sip::canonical_host: lower case, no trailing dot, IPv4
//   without leading zeros, IPv4-mapped IPv6 as IPv4), so every spelling of a served domain names
//   one AOR; the user keeps its case (§19.1.4: userinfo is case-sensitive);
// - the port is dropped: an AOR names a user of a domain, not a server, and clients that put the
//   registrar's port in To must not get a second, separate set of bindings;
// - the scheme is always "sip": a user registering over sips: and over sip: is one user with one
//   set of bindings (as in Kamailio's usrloc, keyed by user@domain). §19.1.4 makes the two URIs
//   never equivalent, but the AOR names a user of a domain, whose account, ownership check
//   (access control) and stored bindings are one; a SIPS Request-URI asks how the request
//   travels (RFC 5630 §3.1: TLS on every hop), not for another user. That demand is kept where
//   it can be: the proxy sends a sips: request only over TLS, so a binding reached over UDP or
//   TCP is never used for it (proxy/secure_routing.hpp). Keeping the key also keeps every
//   stored binding loadable.
// Without a user part the result is "sip:" host. A URI of any other scheme is returned as
// written: the registrar refuses such AORs, so a lookup by one finds nothing.
std::string canonical_aor(const sip::Uri& uri);

// Whether `host` is one of `domains`, compared in canonical form (sip::canonical_host), so no
// spelling of a served domain passes for a foreign one. An empty list serves nothing.
bool served_domain(std::string_view host, const std::vector<std::string>& domains);

// §10.3 step 5: "If the address-of-record is not valid for the domain in the Request-URI, the
// registrar MUST send a 404". An AOR host is valid for a Request-URI that names the same domain
// (canonical hosts equal: case, trailing dot and IP spellings do not matter). Where the RFC
// leaves a choice: a Request-URI that names an IP address names the registrar's host, not a
// domain (phones configured with the server's address send REGISTER sip:192.0.2.10 for
// alice@example.com), so it is valid for every served domain. Both hosts must be served.
bool aor_valid_for_request_uri(const sip::Uri& aor, const sip::Uri& request_uri,
                               const std::vector<std::string>& domains);

// §10.3 step 1: a REGISTER whose Request-URI names a served domain (any port, any spelling) is
// this registrar's to process. The one test the registrar and access control both use: when
// they disagreed (access control looked at the port too), a REGISTER to sip:example.com:9 was
// processed without being authenticated.
bool registers_for(const sip::Uri& request_uri, const std::vector<std::string>& domains);

}  // namespace osprey::registrar
