#pragma once
// Routing: the proxy (RFC 3261 §16.3 loop detection onward: identity on the forwarded copy,
// target set, forwarding, responses; proxy/proxy_core.hpp) takes every request not for osprey,
// with the route decision and the originator the earlier stages found. It is the last stage.

#include <cstdint>

#include "proxy/request_stage.hpp"
#include "proxy/session_border.hpp"

namespace osprey::proxy {

class RoutingStage final : public RequestStage {
 public:
  // Set once, before traffic; none: nothing is routed (the local services answered for_us).
  void attach(ProxyCore* proxy) { proxy_ = proxy; }
  // SBC mode: the B2BUA is offered each request first (proxy/session_border.hpp); set once,
  // before traffic; none: the proxy takes everything.
  void attach_border(SessionBorder* border) { border_ = border; }

  Verdict run(RequestContext& context) override;

  std::uint64_t proxied() const { return proxied_; }
  std::uint64_t bordered() const { return bordered_; }

 private:
  ProxyCore* proxy_ = nullptr;
  SessionBorder* border_ = nullptr;
  std::uint64_t proxied_ = 0;
  std::uint64_t bordered_ = 0;  // taken by the session border (the B2BUA)
};

}  // namespace osprey::proxy
