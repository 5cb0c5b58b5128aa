#pragma once
// Decide before authorising: RFC 3261 §16.4 route processing, once per request
// (sip::decide_route), so access control judges the target and next hop the proxy will use,
// never the raw Request-URI. What is left addressed to osprey itself (no Route left, a
// Request-URI of ours without a user part) is marked for the local services: a phone's
// keep-alive "OPTIONS sip:osprey" with "Route: <sip:osprey;lr>" (its outbound proxy) is for
// osprey, while a Request-URI osprey put in a Record-Route is a strict router's and gets the last
// Route instead (sip/route_decision.hpp). REGISTER is for osprey (the registrar), but for a
// domain osprey does not serve when forwarding those is on (RFC 3261 §10.3 step 1: "SHOULD
// forward the request to the addressed domain, following the general behavior for proxying
// messages"; [registrar] forward_foreign_register, off by default: see docs/security.md).

#include "net/local_identity.hpp"
#include "proxy/request_stage.hpp"

namespace osprey::proxy {

class RouteStage final : public RequestStage {
 public:
  // `identity`: the proxy's (none: no proxy, every request is for osprey itself). Set once,
  // before traffic.
  void attach(const net::LocalIdentity* identity) { identity_ = identity; }
  // Set once, before traffic: a REGISTER for a domain osprey does not serve is proxied.
  void forward_foreign_register(bool forward) { forward_foreign_register_ = forward; }

  // 400 Bad Route when the Route header does not parse.
  Verdict run(RequestContext& context) override;

 private:
  // After route processing: the request is for osprey itself.
  bool addressed_to_us(const sip::Message& request, const sip::RouteDecision& route) const;

  const net::LocalIdentity* identity_ = nullptr;
  bool forward_foreign_register_ = false;
};

}  // namespace osprey::proxy
