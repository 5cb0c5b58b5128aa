#pragma once
// RFC 3261 §16.6: the edits a proxy makes to its copy of a request before it forwards it, as
// pure functions of the message (the ProxyCore decides which apply; proxy_forward.cpp).

#include <cstddef>
#include <string>
#include <vector>

#include "net/flow.hpp"
#include "sip/message.hpp"

namespace osprey::proxy {

// "<sip:192.0.2.1:5060;transport=udp;osp-dt=TOKEN;lr>", or for a sips: request (`secure`)
// "<sips:192.0.2.1:5061;osp-dt=TOKEN;lr>" at the TLS listener: §16.6 step 4 and RFC 5630
// §3.1.2 want a SIPS URI there, which needs no transport parameter (RFC 5630 §3.1.2 deprecates
// transport=tls).
// `token`: the dialog token (security/dialog_token.hpp), or empty. The osp-dt parameter is
// always there, valueless without a token: it marks the URI as one osprey placed in a
// Record-Route (sip::placed_in_record_route, the §16.4 strict-router test).
std::string record_route_value(const net::Endpoint& at, net::Protocol protocol, const std::string& token,
                               bool secure);

// §16.6 step 3: Max-Forwards one less, or 70 when the request had none.
inline void decrement_max_forwards(sip::Message& message) {
  if (message.max_forwards()) {
    message.replace_header(sip::HeaderId::max_forwards, std::to_string(*message.max_forwards() - 1));
  } else {
    message.add_header(sip::HeaderId::max_forwards, "70");
  }
}

// The bytes a binding's Path adds as Route values.
inline std::size_t routes_size(const std::vector<std::string>& routes) {
  std::size_t size = 0;
  for (const std::string& route : routes) size += route.size() + 2;
  return size;
}

// RFC 3261 §12.1.1 / §16.6 step 4: the methods that create dialogs get our Record-Route.
// MESSAGE never does (RFC 3428 §4: no dialog).
inline bool creates_dialog(const sip::Message& request) {
  if (request.to() && !request.to()->tag().empty()) return false;  // in-dialog: route set fixed
  const auto method = request.method();
  if (method == sip::Method::invite || method == sip::Method::subscribe) return true;
  return request.method_text() == "REFER";
}

}  // namespace osprey::proxy
