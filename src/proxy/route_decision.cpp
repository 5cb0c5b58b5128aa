#include "proxy/route_decision.hpp"

#include "sip/route.hpp"

namespace osprey::proxy {

namespace {
void collect_token(const sip::Uri& uri, std::vector<std::string>& tokens) {
  if (auto token = uri.param(kRecordRouteParam); token && !token->empty()) tokens.emplace_back(*token);
}

}  // namespace

bool placed_in_record_route(const sip::Uri& uri, const LocalIdentity& identity) {
  return !uri.has_user && uri.has_param(kRecordRouteParam) && identity.is_ours(uri);
}

std::optional<RouteDecision> decide_route(const sip::Message& request, const LocalIdentity& identity) {
  auto parsed = sip::routes(request, sip::HeaderId::route);
  if (!parsed) return std::nullopt;
  RouteDecision decision;
  decision.request_uri = std::string(request.request_uri().text);
  std::size_t end = parsed->size();
  const sip::Uri& request_uri = request.request_uri();
  if (end > 0 && placed_in_record_route(request_uri, identity)) {
    // The previous hop is a strict router (§16.4): it put our Record-Route URI in the
    // Request-URI; the real one is the last Route value.
    collect_token(request_uri, decision.tokens);
    decision.request_uri = std::string((*parsed)[end - 1].uri.text);
    --end;
    decision.routes_changed = true;
  }
  std::size_t ours = 0;
  while (ours < end && identity.is_ours((*parsed)[ours].uri)) {
    collect_token((*parsed)[ours].uri, decision.tokens);
    ++ours;
  }
  if (ours > 0) decision.routes_changed = true;
  for (std::size_t i = ours; i < end; ++i) decision.routes.emplace_back((*parsed)[i].text);
  decision.next_hop = ours < end ? std::string((*parsed)[ours].uri.text) : decision.request_uri;
  return decision;
}

std::string join_routes(const std::vector<std::string>& values) {
  std::string result;
  for (const auto& value : values) {
    if (!result.empty()) result += ", ";
    result += value;
  }
  return result;
}

void apply_routes(sip::Message& message, const RouteDecision& decision) {
  if (!decision.routes_changed) return;
  message.set_request_uri(decision.request_uri);
  message.remove_headers(sip::HeaderId::route);
  if (!decision.routes.empty()) message.prepend_header(sip::HeaderId::route, join_routes(decision.routes));
}

std::optional<RouteDecision> process_routes(sip::Message& request, const LocalIdentity& identity) {
  auto decision = decide_route(request, identity);
  if (decision) apply_routes(request, *decision);
  return decision;
}

}  // namespace osprey::proxy
