#include "proxy/secure_routing.hpp"

#include "sip/uri.hpp"

namespace osprey::proxy {

namespace {
bool is_sips(std::string_view uri_text) {
  auto uri = sip::parse_uri(uri_text);
  return uri && uri->scheme == sip::UriScheme::sips;
}
}  // namespace

bool requires_tls(const sip::RouteDecision& route) {
  return is_sips(route.request_uri) || (!route.routes.empty() && is_sips(route.next_hop));
}

}  // namespace osprey::proxy
