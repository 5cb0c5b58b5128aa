#pragma once
// Where a SIP message came from or goes to (RFC 3261 §18): the transport protocol, the peer's
// address, our own socket's address and, for streams, the connection. The transaction layer
// keeps the Flow of each request so its responses go back the way §18.2.2 says.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "net/address_text.hpp"

namespace osprey::net {

// ws and wss: SIP over WebSocket (RFC 7118), over TCP and over TLS. osprey only accepts them:
// a WebSocket client (a browser) cannot be connected to, so nothing opens one outbound.
enum class Protocol : std::uint8_t { udp, tcp, tls, ws, wss };

// The Via transport token (RFC 3261 §20.42, RFC 7118 §5): "UDP", "TCP", "TLS", "WS", "WSS".
inline std::string_view via_token(Protocol protocol) {
  switch (protocol) {
    case Protocol::udp: return "UDP";
    case Protocol::tcp: return "TCP";
    case Protocol::tls: return "TLS";
    case Protocol::ws: return "WS";
    case Protocol::wss: return "WSS";
  }
  return "UDP";
}

// Case-insensitive inverse of via_token; nullopt for SCTP and anything unknown.
inline std::optional<Protocol> protocol_from_via(std::string_view transport) {
  const auto equals = [transport](std::string_view token) {
    if (transport.size() != token.size()) return false;
    for (std::size_t i = 0; i < token.size(); ++i) {
      char c = transport[i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (c != token[i]) return false;
    }
    return true;
  };
  if (equals("UDP")) return Protocol::udp;
  if (equals("TCP")) return Protocol::tcp;
  if (equals("TLS")) return Protocol::tls;
  if (equals("WS")) return Protocol::ws;
  if (equals("WSS")) return Protocol::wss;
  return std::nullopt;
}
// RFC 3261 §18: TCP and TLS are reliable, UDP is not (retransmission timers run only over
// UDP); RFC 7118 §5: WebSocket is reliable.
inline bool is_reliable(Protocol protocol) { return protocol != Protocol::udp; }
// RFC 7118: each WebSocket message carries exactly one SIP message, so, as with a datagram, the
// message's end is the frame's end, not its Content-Length (RFC 3261 §18.3 only binds streams).
inline bool is_message_framed(Protocol protocol) {
  return protocol == Protocol::udp || protocol == Protocol::ws || protocol == Protocol::wss;
}
// The protocols whose connections are TLS underneath (sips: needs one of them, RFC 3261 §26.2.1).
inline bool is_secure(Protocol protocol) { return protocol == Protocol::tls || protocol == Protocol::wss; }
// The protocols carried in WebSocket connections (RFC 7118).
inline bool is_websocket(Protocol protocol) { return protocol == Protocol::ws || protocol == Protocol::wss; }
// The URI transport parameter for a protocol, as written on the wire: "udp", "tcp", "tls", and
// "ws" for both WebSocket protocols (RFC 7118 §5.2 defines only "ws"; erratum 5937 corrects the
// "wss" of its §8.2 example, and a sips: URI is what asks for the secure one). "wss" is still
// accepted on input (net::target_of).
inline std::string_view uri_transport(Protocol protocol) {
  switch (protocol) {
    case Protocol::udp: return "udp";
    case Protocol::tcp: return "tcp";
    case Protocol::tls: return "tls";
    case Protocol::ws:
    case Protocol::wss: return "ws";
  }
  return "udp";
}
// RFC 3261 §19.1.2: 5060 for sip: over UDP/TCP, 5061 for TLS. RFC 7118 names no port for a
// sip: URI with transport=ws/wss, so the WebSocket ones apply (RFC 6455 §3): 80 and 443.
inline std::uint16_t default_port(Protocol protocol) {
  switch (protocol) {
    case Protocol::udp:
    case Protocol::tcp: return 5060;
    case Protocol::tls: return 5061;
    case Protocol::ws: return 80;
    case Protocol::wss: return 443;
  }
  return 5060;
}

struct Endpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// The host part as it goes into a Via or URI: IPv6 in brackets.
inline std::string host_text(const boost::asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]" : address_text(address);
}

// "192.0.2.1:5060", "[2001:db8::1]:5060"
inline std::string to_string(const Endpoint& endpoint) {
  return host_text(endpoint.address) + ":" + std::to_string(endpoint.port);
}

// Identifies one stream connection within its worker; 0 means "no connection" (UDP).
using ConnectionId = std::uint64_t;

// Which open stream connections a request may go over (RFC 5923 §5, §11; RFC 5626 §5.3). A
// connection osprey opened to a destination is osprey's to reuse. One the peer opened (accepted)
// carries requests only toward that peer's own flow, chosen deliberately (a registered UA's
// REGISTER connection, a dialog's signed flow): a Contact or Route naming its address and port
// is anyone's text, and must not steer requests into another party's connection, nor over a
// TLS connection whose certificate was never checked against the URI's host.
enum class ConnectionReuse : std::uint8_t {
  outbound_only,  // only a connection osprey opened; otherwise a new one
  peer_flow,      // any open connection to the destination, the peer's own included
};

struct Flow {
  Protocol protocol = Protocol::udp;
  Endpoint remote;  // the peer: datagram source, or the connection's remote end
  Endpoint local;   // our end: the UDP socket's bound address, or the connection's local end
  ConnectionId connection = 0;
};

}  // namespace osprey::net
