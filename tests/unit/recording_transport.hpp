#pragma once
// A net::Transport that records every message a TransactionTable sends, with where it went, for
// tests that run a real table (the proxy's and im's). Header-only: each layer's test executable
// includes it (tests/CMakeLists.txt puts tests/unit on the include path).

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "net/transport.hpp"
#include "sip/message.hpp"

namespace osprey::testing {

inline net::Endpoint endpoint(const char* address, std::uint16_t port) {
  return {boost::asio::ip::make_address(address), port};
}

class RecordingTransport : public net::Transport {
 public:
  struct Sent {
    net::Endpoint to;
    std::string bytes;
    // send_to's reuse rule (Transport::send: the flow itself, as peer_flow).
    net::ConnectionReuse reuse = net::ConnectionReuse::peer_flow;
  };
  bool send(const net::Flow& flow, std::string_view bytes) override {
    sent.push_back({flow.remote, std::string(bytes), net::ConnectionReuse::peer_flow});
    return true;
  }
  std::optional<net::Flow> send_to(net::Protocol protocol, const net::Endpoint& destination,
                                   std::string_view bytes, std::string_view,
                                   net::ConnectionReuse reuse) override {
    if (fail_sends) return std::nullopt;  // as a send error or a refused connection would
    if (std::find(unreachable.begin(), unreachable.end(), destination) != unreachable.end())
      return std::nullopt;
    sent.push_back({destination, std::string(bytes), reuse});
    // Streams get a connection id of their own, which a test may then close
    // (TransactionTable::on_connection_closed) as a refused or reset connection.
    const net::ConnectionId connection = protocol == net::Protocol::udp ? 0 : ++last_connection;
    return net::Flow{protocol, destination, local(), connection};
  }
  // Without streams (`udp_only`), only UDP has a local address: nothing can go over TCP.
  std::optional<net::Endpoint> sent_by(net::Protocol protocol, const net::Endpoint&) const override {
    if (udp_only && protocol != net::Protocol::udp) return std::nullopt;
    return local();
  }

  bool has_connection(net::Protocol protocol, const net::Endpoint& remote) const override {
    return protocol != net::Protocol::udp && std::find(open.begin(), open.end(), remote) != open.end();
  }
  bool connection_open(net::Protocol protocol, const net::Endpoint& remote,
                       net::ConnectionId connection) const override {
    return protocol != net::Protocol::udp && connection != 0 &&
           std::find(open_connections.begin(), open_connections.end(), std::pair{remote, connection}) !=
               open_connections.end();
  }
  // A stream connection `connection` from `remote` is open (has_connection and connection_open).
  void open_connection(const net::Endpoint& remote, net::ConnectionId connection) {
    open.push_back(remote);
    open_connections.emplace_back(remote, connection);
  }

  static net::Endpoint local() { return endpoint("127.0.0.1", 5060); }

  // Message `index` parsed.
  sip::Result<sip::Message> parsed(std::size_t index) const {
    return sip::Message::parse(sent.at(index).bytes);
  }

  std::vector<Sent> sent;
  bool udp_only = false;
  bool fail_sends = false;                 // send_to fails at once
  std::vector<net::Endpoint> unreachable;  // send_to fails at once toward these
  std::vector<net::Endpoint> open;         // peers with an open stream connection (has_connection)
  std::vector<std::pair<net::Endpoint, net::ConnectionId>> open_connections;  // (connection_open)
  net::ConnectionId last_connection = 0;  // the id the last stream send_to got
};

}  // namespace osprey::testing
