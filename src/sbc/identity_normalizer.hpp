#pragma once
// Identity normalisation on the leg the B2BUA builds (RFC 3323, RFC 3325, RFC 7544): the
// caller's identity is read where the trunk's IdentityPolicy says, written into From and/or
// P-Asserted-Identity, withheld when the caller asked for privacy and the next hop is outside
// the trust domain, and the diversion history is carried in the header the trunk reads, with
// internal hosts replaced by osprey's.
//
// The B2BUA calls it after copying the end-to-end headers and before the trunk's header rules.
// STIR/SHAKEN (RFC 8224, RFC 8588) plugs in after it: the returned NormalizedIdentity is what a
// signer would attest (the number written), and what a verifier would compare against.

#include <optional>
#include <string>

#include "sbc/diversion_conversion.hpp"
#include "sbc/trunk.hpp"
#include "sip/message.hpp"

namespace osprey::sbc {

struct NormalizedIdentity {
  std::optional<std::string> uri;  // the identity written (From and/or P-Asserted-Identity), if any
  std::optional<IdentityHeader> source;
  bool anonymous = false;  // From went out anonymous (RFC 3323 §4.1.1.3)
};

class IdentityNormalizer {
 public:
  explicit IdentityNormalizer(HostRewrite hosts) : hosts_(std::move(hosts)) {}

  // `policy` is the trunk's on the other side of the call: the trunk the call goes to when
  // `toward_trunk`, else the trunk it came from (the call goes to one of our users).
  // - Trust (RFC 3325 §5): a P-Asserted-Identity or Remote-Party-ID from a trunk is believed only
  //   when the trunk is trusted; from our users it was put there by the proxy's own assertion
  //   (security/asserted_identity.hpp), which removed any the user wrote. The next hop is inside
  //   the trust domain only when it is a trusted trunk; our users' phones are outside it. The
  //   identity of a call from an untrusted trunk is its claim only: it may go into From, never
  //   into P-Asserted-Identity.
  // - Privacy: id (RFC 3325 §7; also a Privacy header that does not parse, or Remote-Party-ID
  //   privacy=full/name/uri) toward an untrusted next hop: no P-Asserted-Identity, From is
  //   "Anonymous" <sip:anonymous@anonymous.invalid> (RFC 3323 §4.1.1.3). Toward a trusted one the
  //   identity is written and Privacy passed on for the last trusted hop to apply.
  // - Privacy: history or header toward an untrusted next hop (RFC 7044 §10.1.2, RFC 3323 §5.1):
  //   no Diversion or History-Info.
  // - From keeps the tag the B2BUA gave it (its own dialog, RFC 3261 §8.1.1.3).
  // `outbound`'s P-Asserted-Identity, P-Preferred-Identity, Remote-Party-ID, Privacy, Diversion
  // and History-Info are replaced by what this writes: nothing of those passes unchecked.
  NormalizedIdentity apply(const IdentityPolicy& policy, const sip::Message& inbound, sip::Message& outbound,
                           bool toward_trunk) const;

 private:
  HostRewrite hosts_;
};

}  // namespace osprey::sbc
