#include "sip/route_decision.hpp"

#include "sip/route.hpp"

namespace osprey::sip {

namespace {
void collect_token(const Uri& uri, std::vector<std::string>& tokens) {
  if (auto token = uri.param(kRecordRouteParam); token && !token->empty()) tokens.emplace_back(*token);
}

}  // namespace

bool placed_in_record_route(const Uri& uri, const OurUris& ours) {
  return !uri.has_user && uri.has_param(kRecordRouteParam) && ours.is_ours(uri);
}

std::optional<RouteDecision> decide_route(const Message& request, const OurUris& ours) {
  auto parsed = routes(request, HeaderId::route);
  if (!parsed) return std::nullopt;
  RouteDecision decision;
  decision.request_uri = std::string(request.request_uri().text);
  std::size_t end = parsed->size();
  const Uri& request_uri = request.request_uri();
  if (end > 0 && placed_in_record_route(request_uri, ours)) {
    // The previous hop is a strict router (§16.4): it put our Record-Route URI in the
    // Request-URI; the real one is the last Route value.
    collect_token(request_uri, decision.tokens);
    decision.request_uri = std::string((*parsed)[end - 1].uri.text);
    --end;
    decision.routes_changed = true;
  }
  std::size_t consumed = 0;
  while (consumed < end && ours.is_ours((*parsed)[consumed].uri)) {
    collect_token((*parsed)[consumed].uri, decision.tokens);
    if (auto flow = (*parsed)[consumed].uri.param(kPathFlowParam); flow && !flow->empty())
      decision.flow_tokens.emplace_back(*flow);
    ++consumed;
  }
  if (consumed > 0) decision.routes_changed = true;
  for (std::size_t i = consumed; i < end; ++i) decision.routes.emplace_back((*parsed)[i].text);
  decision.next_hop = consumed < end ? std::string((*parsed)[consumed].uri.text) : decision.request_uri;
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

void apply_routes(Message& message, const RouteDecision& decision) {
  if (!decision.routes_changed) return;
  message.set_request_uri(decision.request_uri);
  message.remove_headers(HeaderId::route);
  if (!decision.routes.empty()) message.prepend_header(HeaderId::route, join_routes(decision.routes));
}

std::optional<RouteDecision> process_routes(Message& request, const OurUris& ours) {
  auto decision = decide_route(request, ours);
  if (decision) apply_routes(request, *decision);
  return decision;
}

}  // namespace osprey::sip
