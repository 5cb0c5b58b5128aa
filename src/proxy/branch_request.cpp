#include "proxy/branch_request.hpp"

#include "security/dialog_token.hpp"
#include "sip/char_class.hpp"
#include "sip/route_decision.hpp"

namespace osprey::proxy {

// Route processing (sip/route_decision.hpp) recognises our Record-Route URIs by this parameter
// without depending on security/: both must name the same one.
static_assert(security::DialogToken::kParam == sip::kRecordRouteParam);

std::string record_route_value(const net::Endpoint& at, net::Protocol protocol, const std::string& token,
                               bool secure) {
  // RFC 7118 §5: a WebSocket client reaches us only over WebSocket, so its side's URI says so:
  // transport=ws for WS and WSS alike (§5.2), with sips: asking for the secure one (RFC 5630 §3.2
  // lets sips: name any secure transport).
  std::string value =
      secure ? "<sips:" + net::to_string(at) + (net::is_websocket(protocol) ? ";transport=ws" : "")
             : "<sip:" + net::to_string(at) + ";transport=" + std::string(net::uri_transport(protocol));
  value += ";" + std::string(sip::kRecordRouteParam);
  if (!token.empty()) value += "=" + token;
  return value + ";lr>";
}

}  // namespace osprey::proxy
