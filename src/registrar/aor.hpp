#pragma once
// Which AORs and Request-URIs the registrar serves (RFC 3261 §10.3 steps 1 and 5). The AOR's
// canonical form itself is sip/aor.hpp.

#include <string>
#include <vector>

#include "sip/uri.hpp"

namespace osprey::registrar {

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
