#include "proxy/stage_routing.hpp"

namespace osprey::proxy {

Verdict RoutingStage::run(RequestContext& context) {
  if (context.for_us()) return Verdict::pass_on;
  // After access control: a call toward a trunk has authenticated, owns its From and passed
  // the dial policy like any other; the border takes it instead of the proxy.
  if (border_ != nullptr && border_->take(context)) {
    ++bordered_;
    return Verdict::answered;
  }
  if (proxy_ == nullptr) return Verdict::pass_on;
  ++proxied_;
  proxy_->handle_request(context.transaction, context.request, context.flow, *context.route,
                         context.originator);
  return Verdict::answered;  // the proxy answers, or forwards and answers with the best response
}

}  // namespace osprey::proxy
