#pragma once
// The interface between the transport layer (net/) and the layers above it. A worker owns one
// Transport; everything here runs on that worker's thread and nothing is shared or locked.

#include <optional>
#include <string_view>

#include "net/flow.hpp"

namespace osprey::net {

// What the transport layer calls upward, always on the worker's thread.
class TransportListener {
 public:
  virtual ~TransportListener() = default;
  // One complete message: a whole datagram, or one message cut out of a stream by the framer.
  // The bytes are valid only during the call. Framing errors on streams never get here: the
  // transport answers 400 where it can and closes the connection itself.
  virtual void on_message(std::string_view bytes, const Flow& flow) = 0;
  // A stream connection closed or failed to connect: transactions using it fail (RFC 3261 §17.1.4).
  virtual void on_connection_closed(ConnectionId connection) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends over an existing flow: a datagram from the UDP socket bound at flow.local to
  // flow.remote, or the bytes on stream connection flow.connection. False when the connection
  // is gone or the send failed at once (RFC 3261 §18.2.2: the caller may then try send_to).
  virtual bool send(const Flow& flow, std::string_view bytes) = 0;

  // Sends to a destination (RFC 3261 §18.1.1): UDP from our socket of the same address family,
  // or over an open connection to `destination` with this protocol, reused if there is one and
  // `reuse` allows it (ConnectionReuse: one the peer opened only for peer_flow), else a new one
  // (connecting is asynchronous: the bytes are queued, and a failure later is reported through
  // TransportListener::on_connection_closed). For TLS the peer certificate is verified against
  // `server_name` (empty: the destination address). nullopt: no socket for this protocol and
  // family, or the connection limit is reached.
  virtual std::optional<Flow> send_to(Protocol protocol, const Endpoint& destination, std::string_view bytes,
                                      std::string_view server_name = {},
                                      ConnectionReuse reuse = ConnectionReuse::outbound_only) = 0;

  // The sent-by for the Via of a request going to `destination` with this protocol (RFC 3261
  // §18.1.1): our listening address and port for that protocol and address family, with a
  // wildcard listen address replaced by the local address the system would use toward the
  // destination. nullopt when osprey does not listen on that protocol and family.
  virtual std::optional<Endpoint> sent_by(Protocol protocol, const Endpoint& destination) const = 0;

  // An open stream connection to `remote` with this protocol, in this worker or another, whoever
  // opened it (RFC 5626 §5.3 flow reuse: a registered UA's own connection is used while it
  // lasts; asked only about a binding's or a dialog's own source). Always false for UDP, and
  // for a transport without streams.
  virtual bool has_connection(Protocol /*protocol*/, const Endpoint& /*remote*/) const { return false; }
  // Whether the stream connection `connection` (a Flow's id) to `remote` is still open, in this
  // worker or another: that very connection, not a later one from the same address and port
  // (RFC 5626 §5.3: a flow is one connection; a UA that reconnected, or another host behind
  // the same NAT given the port, is not the flow a binding was registered on). Always false
  // for UDP, for id 0, and for a transport without streams.
  virtual bool connection_open(Protocol /*protocol*/, const Endpoint& /*remote*/,
                               ConnectionId /*connection*/) const {
    return false;
  }
};

}  // namespace osprey::net
