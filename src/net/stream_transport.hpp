#pragma once
// TCP and TLS for one worker (RFC 3261 §18.3): accepts on this worker's listeners, opens
// outbound connections, cuts messages out of each stream with sip::StreamFramer and hands them
// to the TransportListener. Connections are reused for responses and for requests to the same
// peer (§18), one the peer opened only for requests toward that peer's own flow (RFC 5923 §5,
// ConnectionReuse); idle ones are closed, and so are slow ones (net/receive_deadline.hpp); limits
// bound what one address, one network or all peers can hold, and near the total limit the
// oldest connections without a complete message are shed for new ones.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <tl/expected.hpp>

#include "net/connection_counter.hpp"
#include "net/flow.hpp"
#include "net/transport.hpp"
#include "net/websocket_upgrade.hpp"

namespace spdlog {
class logger;
}

namespace osprey::net {

class ConnectionDirectory;
class TlsContextStore;

struct StreamLimits {
  std::size_t max_message_size = 65536;  // a longer message is a framing error (400, then close)
  std::size_t max_headers = 256;
  std::size_t max_buffered_bytes = 262144;     // unsent output queued on one connection before it is closed
  std::chrono::seconds idle_timeout{300};      // no bytes in either direction for this long: close
  std::chrono::seconds handshake_timeout{10};  // TCP connect or TLS handshake must finish in this time
  // A connection we accepted must deliver its first complete message this soon after the
  // accept (TLS handshake included), and any message, once its first byte is in, must complete
  // this soon after: slow senders cannot hold a slot (net/receive_deadline.hpp).
  std::chrono::milliseconds first_message_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds message_timeout{std::chrono::seconds(20)};
};

class StreamTransport {
 public:
  // `tls` may be null when no TLS listener is configured (then TLS send_to fails).
  // `counter` is shared by every worker: it enforces the total and per-IP connection limits.
  // `directory` too, when there are several workers: it lets a worker send over a connection
  // another worker holds (net/connection_directory.hpp); it must outlive the transport.
  StreamTransport(boost::asio::io_context& io_context, TransportListener& listener, StreamLimits limits,
                  ConnectionCounter& counter, std::shared_ptr<TlsContextStore> tls, spdlog::logger& logger,
                  ConnectionDirectory* directory = nullptr);
  ~StreamTransport();
  StreamTransport(const StreamTransport&) = delete;
  StreamTransport& operator=(const StreamTransport&) = delete;

  // Opens an acceptor (SO_REUSEPORT, so every worker binds the same address) for tcp, tls, ws
  // or wss (RFC 7118, accepted only: send_to never opens a WebSocket connection) and starts
  // accepting. Returns the bound endpoint (the real port when `at.port` is 0), or the
  // system's reason ("Address already in use").
  tl::expected<Endpoint, std::string> listen(Protocol protocol, const Endpoint& at);

  // Queues bytes on a connection. False if it is gone or its output queue is over the limit.
  bool send(ConnectionId connection, std::string_view bytes);
  // The same for a flow, which may be another worker's connection (a flow send_to returned):
  // the bytes are then handed to that worker (true once queued there).
  bool send(const Flow& flow, std::string_view bytes);
  // Reuses an open connection to `destination` with `protocol`, ours or, through the directory,
  // another worker's (the Flow returned is then that worker's), or opens one (async; the bytes
  // wait in its queue). Only a connection osprey opened is reused unless `reuse` is peer_flow
  // (RFC 5923 §5, §11: a connection the peer opened is not anyone's way to that address and
  // port). nullopt when over a connection limit or when TLS is not configured.
  std::optional<Flow> send_to(Protocol protocol, const Endpoint& destination, std::string_view bytes,
                              std::string_view server_name,
                              ConnectionReuse reuse = ConnectionReuse::outbound_only);
  // An open connection to `remote` with `protocol`, opened by either end, ours or (through the
  // directory) another worker's.
  bool has_connection(Protocol protocol, const Endpoint& remote) const;
  // The open connection `connection` to `remote` with `protocol`, ours or another worker's
  // (Transport::connection_open).
  bool connection_open(Protocol protocol, const Endpoint& remote, ConnectionId connection) const;
  // The flow of an open connection.
  std::optional<Flow> flow_of(ConnectionId connection) const;
  // Our listening endpoint for `protocol` and the address family of `family_of`, if any.
  std::optional<Endpoint> listening(Protocol protocol, const boost::asio::ip::address& family_of) const;

  // Closes one connection soon (after the current callback returns): a peer osprey no longer
  // talks to (a banned address). Unknown ids are ignored.
  void close(ConnectionId connection, std::string_view reason);
  // Consulted for every accepted connection before anything is read from it: true refuses the
  // peer (a banned address), closing the socket at once. Set once, before traffic.
  using PeerFilter = std::function<bool(const boost::asio::ip::address&)>;
  void set_peer_filter(PeerFilter refuse);
  // Who may open WebSocket connections (the `[websocket]` settings); set once, before traffic.
  // Until set, a request with an Origin header is refused.
  void set_websocket_policy(WebSocketPolicy policy);
  // Lets send_to open WebSocket client connections (RFC 6455 §4.1), as osprey's client tools
  // do. The server never does: a WebSocket peer (a browser) accepts no connections, and is
  // reached only over the one it opened (RFC 7118 §5).
  void allow_outbound_websocket();

  // Stops accepting and closes every connection (shutdown).
  void close_all();
  std::size_t connection_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace osprey::net
