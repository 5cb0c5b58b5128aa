#pragma once
// Authorise the decision (security::AccessControl): digest authentication, ownership of the
// From or of the registered AOR, the dial policy, dialog tokens and the trust domain, judged on
// the route decision the route stage made. What it learns (the authenticated user, the verified
// realm, a trusted source, may_reach_gateway, the dialog's flow) goes into the context for the
// proxy, which asserts that identity and removes untrusted ones (RFC 3325) on the copy it forwards.
// REGISTER and every request the proxy would route are judged; what osprey answers about itself
// (OPTIONS pings, 404, 501) needs no account, and none of it is forwarded anywhere.

#include "proxy/request_stage.hpp"
#include "security/access_control.hpp"

namespace osprey::proxy {

class AccessStage final : public RequestStage {
 public:
  // None: everything is let through. Set once, before traffic.
  void attach(security::AccessControl* access) { access_ = access; }

  Verdict run(RequestContext& context) override;

 private:
  security::AccessControl* access_ = nullptr;
};

}  // namespace osprey::proxy
