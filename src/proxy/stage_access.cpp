#include "proxy/stage_access.hpp"

namespace osprey::proxy {

Verdict AccessStage::run(RequestContext& context) {
  const sip::Message& request = context.request;
  security::AccessDecision access;
  access.may_relay = true;  // no access control: nothing is judged
  if (access_ != nullptr && (!context.for_us() || request.method() == sip::Method::register_)) {
    access = access_->admit(request, context.flow, context.route ? *context.route : sip::RouteDecision{});
    if (access.answer) return context.answer(std::move(*access.answer));
  }
  if (!context.for_us()) {
    context.originator = Originator{std::move(access.identity),
                                    access.trusted_source,
                                    access.may_reach_gateway,
                                    std::move(access.verified_realm),
                                    access.dialog_flow,
                                    access.path_flow,
                                    access.may_relay};
  }
  return Verdict::pass_on;
}

}  // namespace osprey::proxy
