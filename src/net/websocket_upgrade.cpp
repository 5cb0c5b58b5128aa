#include "net/websocket_upgrade.hpp"

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <boost/beast/websocket/rfc6455.hpp>

namespace osprey::net {

namespace http = boost::beast::http;

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool equal_ascii_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

bool offers_sip_subprotocol(std::string_view header_value) {
  while (!header_value.empty()) {
    const std::size_t comma = header_value.find(',');
    // RFC 6455 §4.1: subprotocol tokens compare exactly.
    if (trimmed(header_value.substr(0, comma)) == kSipSubprotocol) return true;
    if (comma == std::string_view::npos) break;
    header_value.remove_prefix(comma + 1);
  }
  return false;
}

bool origin_allowed(std::string_view origin, const WebSocketPolicy& policy) {
  for (const std::string& allowed : policy.allowed_origins) {
    if (allowed == "*" || equal_ascii_case(trimmed(origin), allowed)) return true;
  }
  return false;
}

std::optional<UpgradeRefusal> judge_upgrade(const http::request<http::empty_body>& request,
                                            const WebSocketPolicy& policy) {
  // RFC 6455 §4.1: the opening handshake is a GET; anything else is not ours to serve.
  if (request.method() != http::verb::get) return UpgradeRefusal{405, "Method Not Allowed"};
  if (!boost::beast::websocket::is_upgrade(request)) return UpgradeRefusal{426, "Upgrade Required"};
  const auto origin = request.find(http::field::origin);
  if (origin != request.end() &&
      !origin_allowed(std::string_view(origin->value().data(), origin->value().size()), policy)) {
    return UpgradeRefusal{403, "Origin Not Allowed"};
  }
  // RFC 7118 §4.1: a SIP WebSocket client offers `sip`; without it the connection would carry
  // something this server does not speak. The field may repeat (RFC 7230 §3.2.2).
  const auto [first, last] = request.equal_range(http::field::sec_websocket_protocol);
  for (auto it = first; it != last; ++it) {
    if (offers_sip_subprotocol(std::string_view(it->value().data(), it->value().size()))) return std::nullopt;
  }
  return UpgradeRefusal{400, "SIP WebSocket Subprotocol Required"};
}

}  // namespace osprey::net
