#pragma once
// One TCP, TLS or WebSocket connection of a StreamTransport (RFC 3261 §18.3): connect or accept, TLS
// handshake, a read loop that cuts messages out of the stream with sip::StreamFramer, a write
// queue with one write in flight, and the idle, handshake and message deadlines. Everything
// runs on the worker's thread. Every pending operation holds a shared_ptr to the connection, so
// it outlives its owner when the owner goes first; close() detaches it, after which it calls
// nothing.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "net/flow.hpp"
#include "net/stream_transport.hpp"
#include "net/websocket_upgrade.hpp"

namespace osprey::net {

class StreamConnection;

// What a connection reports to the transport that owns it. Never called once the connection
// is closed: close() detaches it first, and reports the close exactly once.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // Once per connection, just before its first complete message is handed on.
  virtual void on_connection_first_message(StreamConnection& connection) = 0;
  virtual void on_connection_message(std::string_view bytes, const Flow& flow) = 0;
  virtual void on_connection_closed(StreamConnection& connection, std::string_view reason) = 0;
};

class StreamConnection : public std::enable_shared_from_this<StreamConnection> {
 public:
  // An accepted connection; call start() once it is in the owner's table.
  static std::shared_ptr<StreamConnection> accepted_tcp(boost::asio::ip::tcp::socket socket, ConnectionId id,
                                                        const StreamLimits& limits, ConnectionOwner& owner);
  // TLS server side: `context` is the server context current at accept time, kept for the
  // connection's life so a reload never pulls it from under an open connection (RFC 3261 §26.2.1).
  static std::shared_ptr<StreamConnection> accepted_tls(boost::asio::ip::tcp::socket socket,
                                                        std::shared_ptr<boost::asio::ssl::context> context,
                                                        ConnectionId id, const StreamLimits& limits,
                                                        ConnectionOwner& owner);
  // SIP over WebSocket (RFC 7118) on a ws listener: the HTTP upgrade is judged by `policy`
  // (net/websocket_upgrade.hpp), then each WebSocket message is one SIP message. osprey
  // never opens a WebSocket connection, so there is no outbound kind.
  static std::shared_ptr<StreamConnection> accepted_ws(boost::asio::ip::tcp::socket socket,
                                                       std::shared_ptr<const WebSocketPolicy> policy,
                                                       ConnectionId id, const StreamLimits& limits,
                                                       ConnectionOwner& owner);
  // The same over TLS (wss), with the server context as for accepted_tls.
  static std::shared_ptr<StreamConnection> accepted_wss(boost::asio::ip::tcp::socket socket,
                                                        std::shared_ptr<boost::asio::ssl::context> context,
                                                        std::shared_ptr<const WebSocketPolicy> policy,
                                                        ConnectionId id, const StreamLimits& limits,
                                                        ConnectionOwner& owner);
  // A WebSocket client connection, for osprey's own tools only (StreamTransport::
  // allow_outbound_websocket): the server never opens one.
  static std::shared_ptr<StreamConnection> outbound_ws(boost::asio::io_context& io_context,
                                                       const Endpoint& remote, std::string server_name,
                                                       ConnectionId id, const StreamLimits& limits,
                                                       ConnectionOwner& owner);
  static std::shared_ptr<StreamConnection> outbound_wss(boost::asio::io_context& io_context,
                                                        const Endpoint& remote, std::string server_name,
                                                        std::shared_ptr<boost::asio::ssl::context> context,
                                                        ConnectionId id, const StreamLimits& limits,
                                                        ConnectionOwner& owner);
  // Outbound: connects to `remote` in start(); for TLS the peer's certificate must be valid for
  // `server_name`, or for the address when it is empty.
  static std::shared_ptr<StreamConnection> outbound_tcp(boost::asio::io_context& io_context,
                                                        const Endpoint& remote, ConnectionId id,
                                                        const StreamLimits& limits, ConnectionOwner& owner);
  static std::shared_ptr<StreamConnection> outbound_tls(boost::asio::io_context& io_context,
                                                        const Endpoint& remote, std::string server_name,
                                                        std::shared_ptr<boost::asio::ssl::context> context,
                                                        ConnectionId id, const StreamLimits& limits,
                                                        ConnectionOwner& owner);

  virtual ~StreamConnection() = default;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Starts connecting, handshaking or reading. Failures are reported later, never from here.
  virtual void start() = 0;
  // Queues bytes (sent once connected). False when closing or closed; over the output limit
  // the connection closes and this returns false.
  virtual bool send(std::string_view bytes) = 0;
  // Closes the socket at once and reports to the owner, if still attached.
  virtual void close(std::string_view reason) = 0;
  // Closes without telling the owner (the owner is going away).
  virtual void detach() = 0;
  // True once the connection will take no more bytes (a framing error is being answered, or closed).
  virtual bool closing() const = 0;

  const Flow& flow() const { return flow_; }

 protected:
  explicit StreamConnection(Flow flow) : flow_(flow) {}
  Flow flow_;
};

}  // namespace osprey::net
