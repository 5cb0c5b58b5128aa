#pragma once
// Routing: the proxy (RFC 3261 §16.3 loop detection onward: identity on the forwarded copy,
// target set, forwarding, responses; proxy/proxy_core.hpp) takes every request not for osprey,
// with the route decision and the originator the earlier stages found. It is the last stage.

#include <cstdint>

#include "proxy/request_stage.hpp"

namespace osprey::proxy {

class RoutingStage final : public RequestStage {
 public:
  // Set once, before traffic; none: nothing is routed (the local services answered for_us).
  void attach(ProxyCore* proxy) { proxy_ = proxy; }

  Verdict run(RequestContext& context) override;

  std::uint64_t proxied() const { return proxied_; }

 private:
  ProxyCore* proxy_ = nullptr;
  std::uint64_t proxied_ = 0;
};

}  // namespace osprey::proxy
