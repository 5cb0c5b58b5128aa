#include "sbc/trunk_routing.hpp"

#include <algorithm>

#include "security/dial_policy.hpp"

namespace osprey::sbc {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
}  // namespace

std::optional<RouteMatch> match_route(const std::vector<TrunkRoute>& routes, const sip::Uri& request_uri) {
  const std::optional<std::string> number = security::dialled_number(request_uri);
  if (!number) return std::nullopt;
  const std::string_view host = request_uri.is_sip() ? request_uri.host : std::string_view();
  for (const TrunkRoute& route : routes) {
    if (!std::string_view(*number).starts_with(route.prefix)) continue;
    if (!route.domain.empty() && !iequals(host, route.domain)) continue;
    return RouteMatch{&route, routed_number(route, *number)};
  }
  return std::nullopt;
}

std::string routed_number(const TrunkRoute& route, std::string_view number) {
  number.remove_prefix(std::min<std::size_t>(route.strip, number.size()));
  std::string routed = route.prepend;
  routed += number;
  return routed;
}

std::optional<std::string> trunk_request_uri(std::string_view peer, std::string_view number) {
  auto uri = sip::parse_uri(peer);
  if (!uri || !uri->is_sip()) return std::nullopt;
  std::string text(uri->scheme == sip::UriScheme::sips ? "sips:" : "sip:");
  if (!number.empty()) {
    text += sip::escape(number, sip::UriComponent::user);
    text += '@';
  }
  text += uri->host;
  if (uri->has_port) {
    text += ':';
    text += std::to_string(uri->port);
  }
  text += uri->params;
  return text;
}

}  // namespace osprey::sbc
