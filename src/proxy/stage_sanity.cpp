#include "proxy/stage_sanity.hpp"

#include "sip/validation.hpp"

namespace osprey::proxy {

Verdict SanityStage::run(RequestContext& context) {
  const sip::Message& request = context.request;
  if (scope_ == Scope::proxied) {
    if (context.for_us()) return Verdict::pass_on;
    if (auto rejection = sip::check_request(request, {sip::Role::proxy, {}}))
      return context.answer(std::move(*rejection));
    return Verdict::pass_on;
  }
  if (!context.for_us()) return Verdict::pass_on;
  // A CANCEL that matched no INVITE, addressed to osprey itself: nothing to cancel (§9.2).
  if (request.method() == sip::Method::cancel) return context.answer({481, {}, {}});
  // §8.2.1 before §8.2.2 (and §10.3 step 2 before step 3): the method is inspected first, so an
  // unknown method gets 501 whatever it requires (a Require check first would answer 420 for a
  // method osprey has no part of).
  if (request.method() == sip::Method::unknown)
    return context.answer({501, {}, {{"Allow", std::string(kAllow)}}});
  // §8.2.2: the UAS checks (scheme, Require...): 416 and 420 (with Unsupported, §8.2.2.3).
  if (auto rejection = sip::check_request(
          request, {sip::Role::uas, {std::string(kSupportedOutbound), std::string(kSupportedPath)}}))
    return context.answer(std::move(*rejection));
  return Verdict::pass_on;
}

}  // namespace osprey::proxy
