#include "net/net_transport.hpp"

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/udp.hpp>

#include "net/address_text.hpp"

namespace osprey::net {

namespace {

namespace asio = boost::asio;

// RFC 3261 §18.1.1: the sent-by is where responses must come back, so a wildcard listen
// address (0.0.0.0, ::) cannot go into a Via: use the address the system would send from.
std::optional<Endpoint> concrete(std::optional<Endpoint> listening, const asio::ip::address& destination) {
  if (!listening || !listening->address.is_unspecified()) return listening;
  std::optional<asio::ip::address> local = local_address_toward(destination);
  if (!local) return std::nullopt;  // no route toward the destination: nothing could be sent there
  return Endpoint{*local, listening->port};
}

}  // namespace

NetTransport::NetTransport(asio::io_context& io_context, TransportListener& listener, StreamLimits limits,
                           ConnectionCounter& counter, std::shared_ptr<TlsContextStore> tls,
                           spdlog::logger& logger, ConnectionDirectory* directory)
    : io_context_(io_context),
      listener_(listener),
      streams_(io_context, listener, limits, counter, std::move(tls), logger, directory) {}

// The UDP sockets close as they are destroyed; StreamTransport's destructor handles its own
// connections. close() is not called here: it would report closed connections to a listener
// that may already be going away.
NetTransport::~NetTransport() = default;

tl::expected<Endpoint, std::string> NetTransport::listen(Protocol protocol, const Endpoint& at) {
  if (protocol != Protocol::udp) return streams_.listen(protocol, at);
  auto socket = std::make_unique<UdpSocket>(io_context_, listener_);
  auto bound = socket->open(at);
  if (bound) udp_.push_back(std::move(socket));
  return bound;
}

bool NetTransport::send(const Flow& flow, std::string_view bytes) {
  if (flow.protocol != Protocol::udp) return streams_.send(flow, bytes);
  // RFC 3261 §18.2.2: a response goes out of the socket the request came in on, so that a
  // NAT's binding and the client's idea of our address both match.
  UdpSocket* socket = udp_at(flow.local);
  return socket != nullptr && socket->send_to(flow.remote, bytes);
}

std::optional<Flow> NetTransport::send_to(Protocol protocol, const Endpoint& destination,
                                          std::string_view bytes, std::string_view server_name,
                                          ConnectionReuse reuse) {
  if (protocol != Protocol::udp) return streams_.send_to(protocol, destination, bytes, server_name, reuse);
  UdpSocket* socket = udp_for(destination.address);
  if (socket == nullptr) return std::nullopt;
  // A send that fails at once is a transport error the caller must see (RFC 3261 §8.1.3.1:
  // treated as a 503), so no Flow is returned for it.
  if (!socket->send_to(destination, bytes)) return std::nullopt;
  return Flow{Protocol::udp, Endpoint{unmapped(destination.address), destination.port}, socket->local(), 0};
}

std::optional<Endpoint> NetTransport::sent_by(Protocol protocol, const Endpoint& destination) const {
  if (protocol != Protocol::udp) {
    return concrete(streams_.listening(protocol, destination.address), destination.address);
  }
  const UdpSocket* socket = udp_for(destination.address);
  if (socket == nullptr) return std::nullopt;
  return concrete(socket->local(), destination.address);
}

bool NetTransport::has_connection(Protocol protocol, const Endpoint& remote) const {
  return protocol != Protocol::udp && streams_.has_connection(protocol, remote);
}

bool NetTransport::connection_open(Protocol protocol, const Endpoint& remote, ConnectionId connection) const {
  return protocol != Protocol::udp && streams_.connection_open(protocol, remote, connection);
}

NetTransport::HeldDatagrams::HeldDatagrams(NetTransport& transport) : transport_(transport) {
  for (auto& socket : transport_.udp_) socket->hold_sends();
}

NetTransport::HeldDatagrams::~HeldDatagrams() {
  for (auto& socket : transport_.udp_) socket->release_sends();
}

void NetTransport::close() {
  for (auto& socket : udp_) socket->close();
  streams_.close_all();
}

UdpSocket* NetTransport::udp_for(const asio::ip::address& family_of) const {
  // Same family only: our IPv6 sockets are IPV6_V6ONLY, so IPv4 needs an IPv4 socket.
  const bool v6 = unmapped(family_of).is_v6();
  for (const auto& socket : udp_) {
    if (socket->local().address.is_v6() == v6) return socket.get();
  }
  return nullptr;
}

UdpSocket* NetTransport::udp_at(const Endpoint& local) const {
  for (const auto& socket : udp_) {
    if (socket->local() == local) return socket.get();
  }
  return udp_for(local.address);
}

std::optional<asio::ip::address> local_address_toward(const asio::ip::address& destination) {
  // connect() on a UDP socket only picks the route and the source address; nothing is sent.
  // Plain system calls rather than an Asio socket: this runs for requests sent from a wildcard
  // listener, and an io_context per call would cost an epoll instance.
  const asio::ip::udp::endpoint target(unmapped(destination), 5060);  // any port but 0 routes the same
  const int fd = ::socket(target.protocol().family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  std::optional<asio::ip::address> local;
  if (::connect(fd, target.data(), static_cast<socklen_t>(target.size())) == 0) {
    asio::ip::udp::endpoint bound;
    socklen_t length = static_cast<socklen_t>(bound.capacity());
    if (::getsockname(fd, bound.data(), &length) == 0) {
      bound.resize(length);
      local = bound.address();
    }
  }
  ::close(fd);
  return local;
}

}  // namespace osprey::net
