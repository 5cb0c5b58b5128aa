#include "proxy/branch_request.hpp"

#include "proxy/route_decision.hpp"
#include "security/dialog_token.hpp"
#include "sip/char_class.hpp"

namespace osprey::proxy {

// Route processing (route_decision.hpp) recognises our Record-Route URIs by this parameter
// without depending on security/: both must name the same one.
static_assert(security::DialogToken::kParam == kRecordRouteParam);

std::string record_route_value(const net::Endpoint& at, net::Protocol protocol, const std::string& token,
                               bool secure) {
  std::string value =
      secure ? "<sips:" + net::to_string(at)
             : "<sip:" + net::to_string(at) + ";transport=" + sip::to_ascii_lower(net::via_token(protocol));
  value += ";" + std::string(kRecordRouteParam);
  if (!token.empty()) value += "=" + token;
  return value + ";lr>";
}

void decrement_max_forwards(sip::Message& message) {
  if (message.max_forwards()) {
    message.replace_header(sip::HeaderId::max_forwards, std::to_string(*message.max_forwards() - 1));
  } else {
    message.add_header(sip::HeaderId::max_forwards, "70");
  }
}

std::size_t routes_size(const std::vector<std::string>& routes) {
  std::size_t size = 0;
  for (const std::string& route : routes) size += route.size() + 2;
  return size;
}

bool creates_dialog(const sip::Message& request) {
  if (request.to() && !request.to()->tag().empty()) return false;  // in-dialog: route set fixed
  const auto method = request.method();
  if (method == sip::Method::invite || method == sip::Method::subscribe) return true;
  return request.method_text() == "REFER";
}

}  // namespace osprey::proxy
