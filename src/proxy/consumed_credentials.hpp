#pragma once
// RFC 3261 §22.3: a proxy checks the Proxy-Authorization for its own realm, and those
// credentials are consumed there; the values for other realms (proxies further on) travel on.
// osprey removes the ones for its own realm once it verified them: forwarded, they would hand
// the callee (any registered UA) the caller's digest response, nonce and cnonce for osprey's
// realm, and they cost ~300 bytes that push an INVITE past §18.1.1's 1300. The realms are osprey's
// served domains (its accounts' realms) and the one it verified: an in-dialog request that
// osprey did not challenge may carry the caller's credentials all the same.

#include <string>
#include <vector>

#include "net/local_identity.hpp"
#include "sip/message.hpp"

namespace osprey::proxy {

// Removes every Proxy-Authorization line whose realm is one of `realms` (compared exactly,
// §22.1); the others stay, in order. A line that does not parse stays too (not ours to judge).
// The same for Authorization: osprey answers with 401 only REGISTERs, but a UA that reuses its
// registration's credentials in other requests would otherwise hand them to the callee.
void remove_consumed_credentials(sip::Message& request, const std::vector<std::string>& realms);

// The same for osprey's realms: its served domains (canonical) and `verified_realm`, the one
// access control verified (empty: none). Costs nothing for a request without credentials.
void remove_consumed_credentials(sip::Message& request, const net::LocalIdentity& identity,
                                 std::string_view verified_realm = {});

}  // namespace osprey::proxy
