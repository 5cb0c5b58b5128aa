#include "proxy/stage_route.hpp"

#include "registrar/aor.hpp"

namespace osprey::proxy {

Verdict RouteStage::run(RequestContext& context) {
  const sip::Message& request = context.request;
  if (identity_ == nullptr) return Verdict::pass_on;
  if (request.method() == sip::Method::register_ &&
      (!forward_foreign_register_ || registrar::registers_for(request.request_uri(), identity_->domains())))
    return Verdict::pass_on;
  context.route = sip::decide_route(request, *identity_);
  if (!context.route) return context.answer({400, "Bad Route", {}});
  if (addressed_to_us(request, *context.route)) context.route.reset();
  return Verdict::pass_on;
}

bool RouteStage::addressed_to_us(const sip::Message& request, const sip::RouteDecision& route) const {
  // A Route left after ours goes on to its next hop.
  if (!route.routes.empty()) return false;
  const bool rewritten = route.request_uri != request.request_uri().text;
  auto parsed = rewritten ? sip::parse_uri(route.request_uri) : tl::expected<sip::Uri, sip::ParseError>{};
  if (rewritten && !parsed) return false;
  const sip::Uri& uri = rewritten ? *parsed : request.request_uri();
  if (uri.has_user) return false;
  // Not sip/sips (416 from the UAS checks) only when nothing routed it here.
  if (!uri.is_sip()) return !rewritten && request.count(sip::HeaderId::route) == 0;
  // OPTIONS pings match on the host alone: some clients mangle the port (sipsak 0.9.8 writes
  // sip:127.0.0.1:4599 for port 45991).
  if (request.method() == sip::Method::options) return identity_->is_our_host(uri.host);
  return identity_->serves_uri(uri) || identity_->is_ours(uri);
}

}  // namespace osprey::proxy
