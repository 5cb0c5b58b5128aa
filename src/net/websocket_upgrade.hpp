#pragma once
// Whether an HTTP request may become a SIP WebSocket connection (RFC 6455 §4.2, RFC 7118 §4.1).
// Judged before Beast answers the handshake, so a refusal is a plain HTTP error response.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>

namespace osprey::net {

// The `[websocket]` settings every WebSocket listener shares.
struct WebSocketPolicy {
  // Origins (RFC 6454 §6.2 serialisation, "https://phone.example.com") whose pages may open a
  // connection; "*" allows any. A browser always sends Origin and a page cannot forge it, so
  // this is what keeps a page on any site from turning its visitors' browsers into SIP clients
  // of this server (an internal one included). A request without Origin is not from a browser
  // page (a SIP client library, osprey's tools) and is not judged by it: such a client could
  // send any Origin it liked anyway.
  std::vector<std::string> allowed_origins;
};

// The subprotocol RFC 7118 §4.1 registers; the client must offer it and the server selects it.
inline constexpr std::string_view kSipSubprotocol = "sip";

struct UpgradeRefusal {
  unsigned status = 400;
  std::string reason;
};

// nullopt: the request may be upgraded (Beast then checks the RFC 6455 key and version).
std::optional<UpgradeRefusal> judge_upgrade(
    const boost::beast::http::request<boost::beast::http::empty_body>& request,
    const WebSocketPolicy& policy);

// Whether a Sec-WebSocket-Protocol value (a comma-separated list of tokens, RFC 6455 §11.3.4)
// offers `sip`.
bool offers_sip_subprotocol(std::string_view header_value);

// Whether `origin` may open a connection under `policy` (ASCII case-insensitive: RFC 6454 §6.2
// serialises scheme and host in lower case, and a browser sends that form).
bool origin_allowed(std::string_view origin, const WebSocketPolicy& policy);

}  // namespace osprey::net
