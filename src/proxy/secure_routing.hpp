#pragma once
// SIPS: a request for a SIPS URI travels over TLS on every hop (RFC 3261 §26.2.2: "the request
// is sent securely ... to the domain of the Request-URI", and each proxy on the way keeps it so;
// RFC 5630 §3.1.3 drops the last-hop exception: TLS all the way to the UAS). osprey judges the
// hop it sends on: a branch or an ACK of such a request that would leave by UDP or TCP is not
// sent. So a registered user whose only bindings came over UDP or TCP is not reached by a sips:
// request, and a Route toward a plain sip: next hop does not carry one.
//
// What the caller is told (RFC 5630 leaves the status to the proxy):
//  - 416 Unsupported URI Scheme when osprey has no TLS listener at all: it cannot handle the
//    scheme, as §16.3 step 2 answers for any scheme a proxy does not understand;
//  - 480 Temporarily Unavailable when osprey speaks TLS but the target has no secure way there
//    now: the user may register over TLS later (the status repro and a Kamailio script answer
//    when no TLS binding exists). Not 403: nothing is wrong with the caller or its request.
//
// §16.6 step 4 / RFC 5630 §3.1.2: the Record-Route osprey adds to such a request is a SIPS URI
// at its TLS listener, so the dialog's in-dialog requests come back over TLS too.

#include "net/flow.hpp"
#include "sip/route_decision.hpp"

namespace osprey::proxy {

inline constexpr int kSipsNotServedStatus = 416;
inline constexpr int kNoSecureHopStatus = 480;

// True when the request may only leave over TLS: its Request-URI after §16.4 or its next hop
// (the top Route left, §16.6 step 4's "topmost Route header field value") is a SIPS URI. The
// same condition makes osprey's Record-Route a SIPS URI.
bool requires_tls(const sip::RouteDecision& route);

// Whether one hop of a request may use `protocol`.
inline bool hop_allowed(bool tls_only, net::Protocol protocol) {
  return !tls_only || net::is_secure(protocol);
}

}  // namespace osprey::proxy
