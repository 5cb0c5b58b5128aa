#include "proxy/stage_routing.hpp"

namespace osprey::proxy {

Verdict RoutingStage::run(RequestContext& context) {
  if (context.for_us() || proxy_ == nullptr) return Verdict::pass_on;
  ++proxied_;
  proxy_->handle_request(context.transaction, context.request, context.flow, *context.route,
                         context.originator);
  return Verdict::answered;  // the proxy answers, or forwards and answers with the best response
}

}  // namespace osprey::proxy
