#pragma once
// The Transport of one worker: its UDP sockets and its StreamTransport behind the interface
// the transaction layer uses (net/transport.hpp).

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <tl/expected.hpp>

#include "net/stream_transport.hpp"
#include "net/transport.hpp"
#include "net/udp_socket.hpp"

namespace osprey::net {

class NetTransport final : public Transport {
 public:
  // `directory`: see StreamTransport (null for a lone transport).
  NetTransport(boost::asio::io_context& io_context, TransportListener& listener, StreamLimits limits,
               ConnectionCounter& counter, std::shared_ptr<TlsContextStore> tls, spdlog::logger& logger,
               ConnectionDirectory* directory = nullptr);
  ~NetTransport() override;

  // Binds one listener (UDP socket, or TCP/TLS acceptor); returns the bound endpoint.
  tl::expected<Endpoint, std::string> listen(Protocol protocol, const Endpoint& at);

  bool send(const Flow& flow, std::string_view bytes) override;
  std::optional<Flow> send_to(Protocol protocol, const Endpoint& destination, std::string_view bytes,
                              std::string_view server_name = {},
                              ConnectionReuse reuse = ConnectionReuse::outbound_only) override;
  std::optional<Endpoint> sent_by(Protocol protocol, const Endpoint& destination) const override;
  bool has_connection(Protocol protocol, const Endpoint& remote) const override;
  bool connection_open(Protocol protocol, const Endpoint& remote, ConnectionId connection) const override;

  void close();
  StreamTransport& streams() { return streams_; }

  // Datagrams sent while a HeldDatagrams lives leave together when it ends (UdpSocket::hold_sends).
  class HeldDatagrams {
   public:
    explicit HeldDatagrams(NetTransport& transport);
    ~HeldDatagrams();
    HeldDatagrams(const HeldDatagrams&) = delete;
    HeldDatagrams& operator=(const HeldDatagrams&) = delete;

   private:
    NetTransport& transport_;
  };

 private:
  UdpSocket* udp_for(const boost::asio::ip::address& family_of) const;
  UdpSocket* udp_at(const Endpoint& local) const;

  boost::asio::io_context& io_context_;
  TransportListener& listener_;
  std::vector<std::unique_ptr<UdpSocket>> udp_;
  StreamTransport streams_;
};

// The local address the system would use to reach `destination` (a connected UDP socket,
// nothing sent): replaces a wildcard listen address in a Via sent-by (RFC 3261 §18.1.1).
std::optional<boost::asio::ip::address> local_address_toward(const boost::asio::ip::address& destination);

}  // namespace osprey::net
