#pragma once
// Network-asserted identity (RFC 3325) and the privacy a user asks for (RFC 3323, RFC 3325 §7),
// applied to a request the proxy is about to forward. osprey's trust domain (RFC 3324) is osprey
// itself and the peers the configuration names: a P-Asserted-Identity is believed only when one
// of them wrote it, and the caller of these functions knows which hop is which.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace osprey::security {

// RFC 3325 §5: a P-Asserted-Identity received from outside the trust domain is not believed.
// Removing it keeps a caller from naming itself to the trusted peers downstream. The same goes
// for Remote-Party-ID (draft-ietf-sip-privacy-04, which many PBXs and phones still show as the
// caller), and for a P-Preferred-Identity the sender has not earned by authenticating (§6: only
// a proxy that authenticated the user may turn it into an assertion; assert_identity consumes it
// then). Returns how many lines were removed.
std::size_t remove_untrusted_identity(sip::Message& request, bool sender_authenticated);

// RFC 3325 §5 and §6: after digest authentication, the identity osprey asserts for the caller.
// A P-Preferred-Identity element whose canonical AOR is one of `allowed` (the canonical AORs the
// account may use, its own included) is asserted, else `account_aor`; §6 leaves asserting the
// account's own identity to the proxy when the hint names none of the user's identities. The
// P-Preferred-Identity is removed either way (§6), and any P-Asserted-Identity already present is
// replaced by one line with one URI (§5: at most one SIP URI).
// The value is "<sip:alice@example.com>", with From's display-name in front when From names the
// asserted AOR, so the callee shows the name the caller chose for that identity.
// Returns the asserted canonical AOR.
std::string assert_identity(sip::Message& request, std::string_view account_aor,
                            std::span<const std::string> allowed);

struct PrivacyApplied {
  bool removed_identity = false;    // Privacy: id
  std::size_t removed_headers = 0;  // Privacy: header, the lines removed
  // RFC 3323 §4.2: "critical" with "user" or "session", which need a B2BUA that rewrites From,
  // Contact and Via or relays media (not done). The user would rather the request failed than
  // went out without that privacy: the caller refuses it.
  bool critical_unmet = false;
};

// The request leaves the trust domain (the next hop is untrusted): apply what its Privacy header
// asks for (RFC 3323 §5.1, RFC 3325 §7).
// - "id" (RFC 3325 §7, §9.3): P-Asserted-Identity is removed.
// - "header" (RFC 3323 §5.1): the headers the user agent may have added that reveal who or where
//   the user is are removed: Subject, Call-Info, Organization, User-Agent, Reply-To, In-Reply-To.
//   The same section asks for Via, Record-Route and Contact to be anonymised; that needs a
//   B2BUA keeping the mapping (not done).
// - "none" asks for nothing; "user" and "session" are not provided (see critical_unmet).
// A Privacy header that does not parse is treated as asking for "id" and "header": the request
// came from a user who meant to ask for something, and removing these loses nothing the next
// hop needs to process the request.
PrivacyApplied apply_privacy(sip::Message& request);

}  // namespace osprey::security
