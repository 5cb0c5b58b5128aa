#pragma once
// The address-of-record as a key (RFC 3261 §10.3 step 5, §19.1.4 URI comparison): one canonical
// form of AORs and served domains that every layer uses (the location store's key, the account
// store's key, access control, identity). Pure URI canonicalisation, over sip/uri.hpp and
// sip/host.hpp only.

#include <string>
#include <string_view>
#include <vector>

#include "sip/uri.hpp"

namespace osprey::sip {

// The canonical form of a SIP or SIPS AOR, the key of its bindings in the location store:
// the scheme ("sip:" or "sips:"), user "@" host.
//
// RFC 3261 §10.3 step 5: "all URI parameters MUST be removed (including the user-param), and any
// escaped characters MUST be converted to unescaped form". Where the RFC leaves a choice:
// - the host is in its canonical form (canonical_host: lower case, no trailing dot, IPv4
//   without leading zeros, IPv4-mapped IPv6 as IPv4), so every spelling of a served domain names
//   one AOR; the user keeps its case (§19.1.4: userinfo is case-sensitive);
// - the port is dropped: an AOR names a user of a domain, not a server, and clients that put the
//   registrar's port in To must not get a second, separate set of bindings;
// - the scheme is kept (case-insensitive, written in lower case): §19.1.4 "A SIP and SIPS URI
//   are never equivalent", so sips:alice@example.com and sip:alice@example.com are two AORs
//   with two binding sets. A REGISTER for one lists, replaces and removes (Contact: *) only its
//   own bindings (§10.3 steps 6-8), and a request for one reaches only the bindings of that
//   AOR (§16.5): a sips: request never lands on a binding made for sip:, which its sender
//   never asked to be reached at. Both AORs belong to one account (account_aor), which owns
//   both (access control). The sip: key is written exactly as before, so every binding stored
//   under it still loads after an upgrade.
// Without a user part the result is the scheme and the host. A URI of any other scheme is
// returned as written: the registrar refuses such AORs, so a lookup by one finds nothing.
std::string canonical_aor(const Uri& uri);

// The account a SIP or SIPS AOR belongs to: its canonical form (canonical_aor) with the scheme
// "sip:", whichever it was written with. A user of a domain is one account, one identity and
// one owner of both its AORs (sip: and sips:); the user store, the authenticated identity, the
// ownership checks (§10.3 step 4, From), dial groups, dialog tokens and asserted identities all
// name accounts this way, while the location store keys bindings by canonical_aor. A URI of any
// other scheme is returned as written.
std::string account_aor(const Uri& uri);

// Whether `host` is one of `domains`, compared in canonical form (canonical_host), so no
// spelling of a served domain passes for a foreign one. An empty list serves nothing.
bool served_domain(std::string_view host, const std::vector<std::string>& domains);

}  // namespace osprey::sip
