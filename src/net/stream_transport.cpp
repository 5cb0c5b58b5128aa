#include "net/stream_transport.hpp"

#include <span>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/connection_directory.hpp"
#include "net/connections_by_remote.hpp"
#include "net/listening_socket.hpp"
#include "net/stream_connection.hpp"
#include "net/tls_context_store.hpp"

namespace osprey::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// After an accept error other than a peer's early reset (usually out of descriptors), wait
// this long before accepting again instead of spinning on the same error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

struct Listener {
  Listener(asio::io_context& io_context, Protocol listen_protocol)
      : protocol(listen_protocol), acceptor(io_context), retry(io_context) {}
  Protocol protocol;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  Endpoint bound;
};

}  // namespace

class StreamTransport::Impl final : public ConnectionOwner, public ConnectionDirectory::Member {
 public:
  Impl(asio::io_context& io_context, TransportListener& listener, StreamLimits limits,
       ConnectionCounter& counter, std::shared_ptr<TlsContextStore> tls, spdlog::logger& logger,
       ConnectionDirectory* directory)
      : io_context_(io_context),
        listener_(listener),
        limits_(limits),
        counter_(counter),
        tls_(std::move(tls)),
        logger_(logger),
        directory_(directory) {
    if (directory_ != nullptr) {
      member_ = directory_->join(*this);
      next_id_ = ConnectionDirectory::first_id(member_);
    }
    // Another worker that needs a slot may choose one of our connections to shed (the oldest
    // unproven one of all): it asks through this, and we close it on our own thread.
    shed_member_ = counter_.unproven().join(
        [&io_context = io_context_, this, alive = std::weak_ptr<void>(alive_)](ConnectionId id) {
          asio::post(io_context, [this, alive, id] {
            if (!alive.expired()) shed(id);
          });
        });
  }

  ~Impl() override {
    counter_.unproven().leave(shed_member_);
    // The owner of the listener is going away too: connections close without calling it.
    notify_ = false;
    close_all();
  }

  tl::expected<Endpoint, std::string> listen(Protocol protocol, const Endpoint& at) {
    if (protocol == Protocol::udp) return tl::unexpected(std::string("UDP is not a stream transport"));
    if (is_secure(protocol) && !tls_) return tl::unexpected(std::string("TLS is not configured"));
    auto listener = std::make_shared<Listener>(io_context_, protocol);
    auto bound = open_listening(listener->acceptor, at);
    if (!bound) return tl::unexpected(std::move(bound.error()));
    listener->bound = *bound;
    listeners_.push_back(listener);
    accept(listener);
    return listener->bound;
  }

  bool send(ConnectionId id, std::string_view bytes) {
    const auto it = connections_.find(id);
    if (it == connections_.end()) return false;
    std::shared_ptr<StreamConnection> connection = it->second;  // send may close and erase it
    return connection->send(bytes);
  }

  bool send(const Flow& flow, std::string_view bytes) {
    if (connections_.contains(flow.connection)) return send(flow.connection, bytes);
    // A flow another worker's send_to returned, or the one a request came on: its connection
    // lives there (§18.2.2). The caller chose that very flow, so should it be gone, another
    // connection with the same remote end is the same peer's.
    if (directory_ == nullptr || ConnectionDirectory::member_of(flow.connection) == member_) return false;
    return directory_->hand_over({flow, std::string(bytes), {}, ConnectionReuse::peer_flow});
  }

  // RFC 5923 §5, §11, RFC 5626 §5.3: the connection the peer opened only for its own flow, and
  // then before any connection osprey opened toward it (which may be an attempt some Contact
  // caused, still connecting to the peer's ephemeral port), in this worker or another; else a
  // connection osprey opened, in this worker or another; else a new one.
  std::optional<Flow> send_to(Protocol protocol, const Endpoint& destination, std::string_view bytes,
                              std::string_view server_name, ConnectionReuse reuse) {
    if (protocol == Protocol::udp) return std::nullopt;
    static constexpr ConnectionRole kRoles[] = {ConnectionRole::accepted, ConnectionRole::outbound};
    const std::span<const ConnectionRole> roles =
        reuse == ConnectionReuse::peer_flow ? std::span(kRoles) : std::span(kRoles).last(1);
    for (const ConnectionRole role : roles) {
      if (std::shared_ptr<StreamConnection> connection = open_to(protocol, destination, role)) {
        if (!connection->send(bytes)) return std::nullopt;
        return connection->flow();
      }
      if (bytes.size() > limits_.max_buffered_bytes) return std::nullopt;
      if (auto elsewhere = hand_to_owner(protocol, destination, bytes, server_name, role, reuse))
        return elsewhere;
    }
    return connect(protocol, destination, bytes, server_name);
  }

  // ConnectionDirectory::Member: another worker's thread, under the directory's lock.
  void deliver(StreamDelivery delivery) override {
    asio::post(io_context_, [this, alive = std::weak_ptr<void>(alive_), delivery = std::move(delivery)] {
      if (!alive.expired()) take_delivery(delivery);
    });
  }

  bool has_connection(Protocol protocol, const Endpoint& remote) const {
    for (const ConnectionRole role : {ConnectionRole::accepted, ConnectionRole::outbound}) {
      if (open_to(protocol, remote, role)) return true;
      if (directory_ != nullptr && directory_->find(protocol, remote, role)) return true;
    }
    return false;
  }

  bool connection_open(Protocol protocol, const Endpoint& remote, ConnectionId id) const {
    if (id == 0) return false;
    if (const auto it = connections_.find(id); it != connections_.end()) {
      const Flow flow = it->second->flow();
      return flow.protocol == protocol && flow.remote == remote;
    }
    // Another worker's: the directory holds the newest connection to a peer in each role. An
    // older one still open from the same address and port (only possible across two listeners)
    // reads as closed, and its binding falls back to its Contact.
    if (directory_ == nullptr || ConnectionDirectory::member_of(id) == member_) return false;
    for (const ConnectionRole role : {ConnectionRole::accepted, ConnectionRole::outbound}) {
      const auto found = directory_->find(protocol, remote, role);
      if (found && found->connection == id) return true;
    }
    return false;
  }

  std::optional<Flow> flow_of(ConnectionId id) const {
    const auto it = connections_.find(id);
    if (it == connections_.end()) return std::nullopt;
    return it->second->flow();
  }

  std::optional<Endpoint> listening(Protocol protocol, const asio::ip::address& family_of) const {
    for (const auto& listener : listeners_) {
      if (listener->protocol == protocol && listener->bound.address.is_v4() == family_of.is_v4()) {
        return listener->bound;
      }
    }
    return std::nullopt;
  }

  void close(ConnectionId id, std::string_view reason) {
    asio::post(io_context_, [this, alive = std::weak_ptr<void>(alive_), id, reason = std::string(reason)] {
      if (alive.expired()) return;
      const auto it = connections_.find(id);
      if (it == connections_.end()) return;
      std::shared_ptr<StreamConnection> connection = it->second;  // close() erases it
      connection->close(reason);
    });
  }

  void set_peer_filter(PeerFilter refuse) { refuse_peer_ = std::move(refuse); }
  void allow_outbound_websocket() { outbound_websocket_ = true; }
  void set_websocket_policy(WebSocketPolicy policy) {
    websocket_policy_ = std::make_shared<const WebSocketPolicy>(std::move(policy));
  }

  void close_all() {
    // First: no other worker hands bytes to a transport that is closing (RFC 3261 §18.2.2 then
    // makes them connect themselves).
    if (directory_ != nullptr) directory_->leave(member_);
    for (const auto& listener : listeners_) {
      error_code ignored;
      listener->acceptor.close(ignored);
      listener->retry.cancel();
    }
    listeners_.clear();  // pending accept handlers hold their own reference
    // Copied first: the listener may open new connections from on_connection_closed.
    std::vector<std::shared_ptr<StreamConnection>> open;
    open.reserve(connections_.size());
    for (const auto& [id, connection] : connections_) open.push_back(connection);
    for (const auto& connection : open) {
      if (notify_) {
        connection->close("shutdown");
      } else {
        forget(*connection);
        connection->detach();
      }
    }
  }

  std::size_t connection_count() const { return connections_.size(); }

  // ConnectionOwner
  void on_connection_first_message(StreamConnection& connection) override {
    now_proven(connection.flow().connection);
  }

  void on_connection_message(std::string_view bytes, const Flow& flow) override {
    listener_.on_message(bytes, flow);
  }

  void on_connection_closed(StreamConnection& connection, std::string_view reason) override {
    const Flow flow = connection.flow();  // a copy: forget() may drop the last other reference
    logger_.debug("stream: connection {} with {} closed: {}", flow.connection, to_string(flow.remote),
                  reason);
    if (!forget(connection)) return;
    if (notify_) listener_.on_connection_closed(flow.connection);
  }

 private:
  // Our open connection to `destination` with `protocol` in `role`, if there is one (RFC 3261
  // §18.1.1).
  std::shared_ptr<StreamConnection> open_to(Protocol protocol, const Endpoint& destination,
                                            ConnectionRole role) const {
    const std::optional<ConnectionId> found = by_remote_.find(protocol, destination, role);
    if (!found) return nullptr;
    const auto it = connections_.find(*found);
    if (it == connections_.end() || it->second->closing()) return nullptr;
    return it->second;
  }

  // RFC 3261 §18.2.2, RFC 5626 §5.3: a peer behind NAT is reachable only over the connection it
  // opened, which may live in another worker: that worker sends the bytes on it. `role`: which
  // of the other workers' connections (send_to's rule); `reuse` goes with the bytes, for the
  // owner's fallback should the connection be gone.
  std::optional<Flow> hand_to_owner(Protocol protocol, const Endpoint& destination, std::string_view bytes,
                                    std::string_view server_name, ConnectionRole role,
                                    ConnectionReuse reuse) {
    if (directory_ == nullptr) return std::nullopt;
    std::optional<Flow> owned = directory_->find(protocol, destination, role);
    if (!owned || ConnectionDirectory::member_of(owned->connection) == member_) return std::nullopt;
    if (!directory_->hand_over({*owned, std::string(bytes), std::string(server_name), reuse}))
      return std::nullopt;
    return owned;
  }

  // Bytes another worker handed over, on this worker's thread. If the connection closed in the
  // meantime, this worker connects, as the sender would have done (§18.2.2); a failure is then
  // seen by the sender's transaction as a timeout.
  void take_delivery(const StreamDelivery& delivery) {
    const Flow& flow = delivery.flow;
    if (const auto it = connections_.find(flow.connection);
        it != connections_.end() && !it->second->closing()) {
      std::shared_ptr<StreamConnection> connection = it->second;
      connection->send(delivery.bytes);
    } else if (std::shared_ptr<StreamConnection> other =
                   fallback_to(flow.protocol, flow.remote, delivery.reuse)) {
      other->send(delivery.bytes);
    } else if (delivery.bytes.size() <= limits_.max_buffered_bytes) {
      connect(flow.protocol, flow.remote, delivery.bytes, delivery.server_name);
    }
  }

  // Another open connection of ours for bytes whose connection closed: send_to's rule.
  std::shared_ptr<StreamConnection> fallback_to(Protocol protocol, const Endpoint& remote,
                                                ConnectionReuse reuse) const {
    if (reuse == ConnectionReuse::peer_flow) {
      if (std::shared_ptr<StreamConnection> accepted = open_to(protocol, remote, ConnectionRole::accepted))
        return accepted;
    }
    return open_to(protocol, remote, ConnectionRole::outbound);
  }

  // A new outbound connection with the bytes queued on it (RFC 3261 §18.1.1).
  std::optional<Flow> connect(Protocol protocol, const Endpoint& destination, std::string_view bytes,
                              std::string_view server_name) {
    // RFC 7118: WebSocket clients (browsers) accept no connections; a WebSocket peer is
    // reachable only over the connection it opened. Only osprey's own tools open one.
    if (is_websocket(protocol) && !outbound_websocket_) return std::nullopt;
    std::shared_ptr<asio::ssl::context> client_context;
    if (is_secure(protocol)) {
      if (!tls_) return std::nullopt;
      client_context = tls_->client_context();
      if (!client_context) return std::nullopt;
    }
    if (!counter_.try_acquire(destination.address)) {
      logger_.debug("stream: no connection to {}: connection limit reached", to_string(destination));
      return std::nullopt;
    }
    const ConnectionId id = next_id_++;
    std::shared_ptr<StreamConnection> connection;
    switch (protocol) {
      case Protocol::tls:
        connection = StreamConnection::outbound_tls(io_context_, destination, std::string(server_name),
                                                    std::move(client_context), id, limits_, *this);
        break;
      case Protocol::ws:
        connection = StreamConnection::outbound_ws(io_context_, destination, std::string(server_name), id,
                                                   limits_, *this);
        break;
      case Protocol::wss:
        connection = StreamConnection::outbound_wss(io_context_, destination, std::string(server_name),
                                                    std::move(client_context), id, limits_, *this);
        break;
      case Protocol::udp:
      case Protocol::tcp:
        connection = StreamConnection::outbound_tcp(io_context_, destination, id, limits_, *this);
        break;
    }
    add(connection, ConnectionRole::outbound);
    connection->send(bytes);  // waits in the queue until connected
    connection->start();      // reports a failure later, through on_connection_closed
    return connection->flow();
  }

  void accept(const std::shared_ptr<Listener>& listener) {
    listener->acceptor.async_accept(
        [this, alive = std::weak_ptr<void>(alive_), listener](const error_code& ec, tcp::socket socket) {
          if (alive.expired() || !listener->acceptor.is_open()) return;  // closed, or the transport is gone
          if (ec) {
            on_accept_error(listener, ec);
            return;
          }
          admit(*listener, std::move(socket));
          accept(listener);
        });
  }

  void on_accept_error(const std::shared_ptr<Listener>& listener, const error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (ec == asio::error::connection_aborted) {  // the peer gave up before we accepted: nothing wrong here
      accept(listener);
      return;
    }
    logger_.warn("stream: accept on {} failed: {}", to_string(listener->bound), ec.message());
    listener->retry.expires_after(kAcceptRetryDelay);
    listener->retry.async_wait(
        [this, alive = std::weak_ptr<void>(alive_), listener](const error_code& wait_error) {
          if (wait_error || alive.expired() || !listener->acceptor.is_open()) return;
          accept(listener);
        });
  }

  void admit(const Listener& listener, tcp::socket socket) {
    error_code ec;
    const tcp::endpoint peer = socket.remote_endpoint(ec);
    if (ec) return;  // reset before we saw it; the socket closes on destruction
    if (refuse_peer_ && refuse_peer_(peer.address())) {
      socket.close(ec);
      return;
    }
    using Admission = ConnectionCounter::Admission;
    Admission admission = counter_.try_admit(peer.address());
    // Every slot taken, but this peer is within its own caps: a slow connection makes room.
    if (admission == Admission::all_full && shed_oldest_unproven()) {
      admission = counter_.try_admit(peer.address());
    }
    if (!ConnectionCounter::admitted(admission)) {
      ++rejected_;
      // Checked first: under a connection flood, formatting every refusal would be the cost.
      if (logger_.should_log(spdlog::level::debug)) {
        logger_.debug("stream: refused {}: {} ({} refused so far)",
                      to_string(Endpoint{peer.address(), peer.port()}),
                      admission == Admission::address_full   ? "connection limit per address reached"
                      : admission == Admission::network_full ? "connection limit per network reached"
                                                             : "connection limit reached",
                      rejected_);
      }
      socket.close(ec);
      return;
    }
    // Near full: keep a tenth of the slots free for whoever comes next (see shed_oldest_unproven).
    if (admission == Admission::admitted_near_full) shed_oldest_unproven();
    const ConnectionId id = next_id_++;
    std::shared_ptr<StreamConnection> connection;
    std::shared_ptr<asio::ssl::context> context;
    if (is_secure(listener.protocol)) {
      // The context current now: a later reload does not change this connection's certificate.
      context = tls_->server_context();
      if (!context) {
        counter_.release(peer.address());
        socket.close(ec);
        return;
      }
    }
    switch (listener.protocol) {
      case Protocol::tls:
        connection =
            StreamConnection::accepted_tls(std::move(socket), std::move(context), id, limits_, *this);
        break;
      case Protocol::ws:
        connection = StreamConnection::accepted_ws(std::move(socket), websocket_policy_, id, limits_, *this);
        break;
      case Protocol::wss:
        connection = StreamConnection::accepted_wss(std::move(socket), std::move(context), websocket_policy_,
                                                    id, limits_, *this);
        break;
      case Protocol::udp:
      case Protocol::tcp:
        connection = StreamConnection::accepted_tcp(std::move(socket), id, limits_, *this);
        break;
    }
    add(connection, ConnectionRole::accepted);
    unproven_.emplace(id, counter_.unproven().add(shed_member_, id));
    connection->start();
  }

  // Closes the connection accepted longest ago, by any worker, that has not delivered a
  // complete message yet; true when that freed a slot here and now (it was this worker's),
  // false when there was none or its worker was asked to close it (the slot comes back soon).
  //
  // The answer to connections that hold slots without finishing a message (160 addresses x 63
  // connections sending a byte a second held all 10,000): the receive deadline bounds how long
  // each one lives, but an attacker who keeps reconnecting would still fill every slot and
  // shut new clients out. Shedding the oldest such connection as each new one arrives above
  // nine tenths of the slots keeps accepting: a new client is the youngest, so the attacker
  // must open more connections than there are slots within the few milliseconds the client
  // needs to send its request before it is the one shed. Reserving slots for proven
  // connections instead would protect existing clients but still lock every new one out.
  // A connection that has delivered a message is never shed: it may be a registered client
  // behind NAT reachable only through it (RFC 5626 §5), the transport cannot tell an
  // attacker's from it, and the per-address and per-network caps bound how many of them one
  // party can hold. The oldest is chosen over every worker: a worker choosing among its own
  // would, when it holds few slots, shed its own newest connections (a new client among them).
  // Another worker's connection closes a moment later on that worker's thread, so when every
  // slot is taken and the oldest is elsewhere, this newcomer is refused; the tenth kept free
  // makes that rare.
  bool shed_oldest_unproven() {
    const std::optional<UnprovenConnections::Entry> oldest = counter_.unproven().take_oldest();
    if (!oldest) return false;
    if (oldest->member == shed_member_) return shed(oldest->connection);
    counter_.unproven().request_shed(*oldest);
    return false;
  }

  // Closes one of our connections if it still has not delivered a message; true if it did.
  bool shed(ConnectionId id) {
    if (!unproven_.contains(id)) return false;  // closed, or proven since it was chosen
    const auto it = connections_.find(id);
    if (it == connections_.end()) return false;
    std::shared_ptr<StreamConnection> connection = it->second;  // close() erases it
    ++shed_;
    if (logger_.should_log(spdlog::level::debug)) {
      logger_.debug("stream: shed connection {} with {}: slots near full ({} shed so far)", id,
                    to_string(connection->flow().remote), shed_);
    }
    connection->close("shed: no complete message while slots were near full");
    return true;
  }

  void now_proven(ConnectionId id) {
    const auto it = unproven_.find(id);
    if (it == unproven_.end()) return;
    counter_.unproven().remove(it->second);
    unproven_.erase(it);
  }

  void add(const std::shared_ptr<StreamConnection>& connection, ConnectionRole role) {
    const Flow& flow = connection->flow();
    connections_.emplace(flow.connection, connection);
    by_remote_.add(flow, role);
    if (directory_ != nullptr) directory_->publish(flow, role);
  }

  // Removes the connection from the tables and gives its slot back; false if it was not there.
  bool forget(StreamConnection& connection) {
    const Flow& flow = connection.flow();
    const auto it = connections_.find(flow.connection);
    if (it == connections_.end() || it->second.get() != &connection) return false;
    std::shared_ptr<StreamConnection> keep = std::move(it->second);  // alive until we return
    connections_.erase(it);
    by_remote_.remove(flow);
    if (directory_ != nullptr) directory_->withdraw(flow);
    now_proven(flow.connection);  // or gone: either way no longer a candidate
    counter_.release(flow.remote.address);
    return true;
  }

  asio::io_context& io_context_;
  TransportListener& listener_;
  StreamLimits limits_;
  ConnectionCounter& counter_;
  std::shared_ptr<TlsContextStore> tls_;
  spdlog::logger& logger_;
  ConnectionDirectory* directory_;  // null: a lone transport (the client tools, tests)
  unsigned member_ = 0;             // our number in the directory

  std::vector<std::shared_ptr<Listener>> listeners_;
  std::unordered_map<ConnectionId, std::shared_ptr<StreamConnection>> connections_;
  PeerFilter refuse_peer_;
  // No origin listed: browser pages of no site may connect (net/websocket_upgrade.hpp).
  std::shared_ptr<const WebSocketPolicy> websocket_policy_ = std::make_shared<const WebSocketPolicy>();
  ConnectionsByRemote by_remote_;  // the reuse index (RFC 5923 §5, ConnectionReuse)
  ConnectionId next_id_ = 1;
  // Accepted connections that have not delivered a complete message yet, with their place in
  // the counter's UnprovenConnections.
  unsigned shed_member_ = 0;
  std::unordered_map<ConnectionId, UnprovenConnections::Ticket> unproven_;
  std::uint64_t rejected_ = 0;
  std::uint64_t shed_ = 0;
  bool notify_ = true;
  bool outbound_websocket_ = false;  // the client tools' transport only
  // Handlers queued in the io_context check this before touching the transport.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

StreamTransport::StreamTransport(asio::io_context& io_context, TransportListener& listener,
                                 StreamLimits limits, ConnectionCounter& counter,
                                 std::shared_ptr<TlsContextStore> tls, spdlog::logger& logger,
                                 ConnectionDirectory* directory)
    : impl_(
          std::make_unique<Impl>(io_context, listener, limits, counter, std::move(tls), logger, directory)) {}

StreamTransport::~StreamTransport() = default;

tl::expected<Endpoint, std::string> StreamTransport::listen(Protocol protocol, const Endpoint& at) {
  return impl_->listen(protocol, at);
}

bool StreamTransport::send(ConnectionId connection, std::string_view bytes) {
  return impl_->send(connection, bytes);
}

bool StreamTransport::send(const Flow& flow, std::string_view bytes) { return impl_->send(flow, bytes); }

std::optional<Flow> StreamTransport::send_to(Protocol protocol, const Endpoint& destination,
                                             std::string_view bytes, std::string_view server_name,
                                             ConnectionReuse reuse) {
  return impl_->send_to(protocol, destination, bytes, server_name, reuse);
}

bool StreamTransport::has_connection(Protocol protocol, const Endpoint& remote) const {
  return impl_->has_connection(protocol, remote);
}

bool StreamTransport::connection_open(Protocol protocol, const Endpoint& remote,
                                      ConnectionId connection) const {
  return impl_->connection_open(protocol, remote, connection);
}

std::optional<Flow> StreamTransport::flow_of(ConnectionId connection) const {
  return impl_->flow_of(connection);
}

std::optional<Endpoint> StreamTransport::listening(Protocol protocol,
                                                   const asio::ip::address& family_of) const {
  return impl_->listening(protocol, family_of);
}

void StreamTransport::close_all() { impl_->close_all(); }
void StreamTransport::close(ConnectionId connection, std::string_view reason) {
  impl_->close(connection, reason);
}
void StreamTransport::set_peer_filter(PeerFilter refuse) { impl_->set_peer_filter(std::move(refuse)); }
void StreamTransport::allow_outbound_websocket() { impl_->allow_outbound_websocket(); }
void StreamTransport::set_websocket_policy(WebSocketPolicy policy) {
  impl_->set_websocket_policy(std::move(policy));
}

std::size_t StreamTransport::connection_count() const { return impl_->connection_count(); }

}  // namespace osprey::net
