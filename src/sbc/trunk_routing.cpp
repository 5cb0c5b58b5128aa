#include "sbc/trunk_routing.hpp"

#include <algorithm>

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

const TrunkRoute* match_route(const std::vector<TrunkRoute>& routes, const sip::Uri& request_uri) {
  std::string_view user;
  std::string_view host;
  if (request_uri.is_sip()) {
    if (!request_uri.has_user) return nullptr;
    user = request_uri.user;
    host = request_uri.host;
  } else if (request_uri.scheme == sip::UriScheme::tel) {
    user = request_uri.user;
  } else {
    return nullptr;
  }
  for (const TrunkRoute& route : routes) {
    if (!user.starts_with(route.prefix)) continue;
    if (!route.domain.empty() && !iequals(host, route.domain)) continue;
    return &route;
  }
  return nullptr;
}

std::string routed_number(const TrunkRoute& route, std::string_view user) {
  user.remove_prefix(std::min<std::size_t>(route.strip, user.size()));
  std::string number = route.prepend;
  number += user;
  return number;
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
