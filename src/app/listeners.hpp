#pragma once
// The server's listening sockets, one per [[listen]] entry: a UDP socket, or a TCP acceptor for
// TCP and TLS (TLS runs over an accepted TCP connection). Binding reports failure as a value so
// `osprey serve` can exit with one clear line when a port is taken.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <tl/expected.hpp>

#include "app/config.hpp"

namespace spdlog {
class logger;
}

namespace osprey::app {

struct BindError {
  ListenConfig listen;
  std::string reason;  // the system's words: "Address already in use"
};

// "cannot listen on udp 127.0.0.1:5060: Address already in use"
std::string to_string(const BindError& error);

// "udp 127.0.0.1:5060", "tcp [::1]:5060"
std::string describe_socket(Transport transport, const boost::asio::ip::address& address, std::uint16_t port);

struct BoundSocket {
  Transport transport;
  boost::asio::ip::address address;
  std::uint16_t port;  // the port actually bound (differs from the config only for port 0)
};

class Listeners {
 public:
  // Binds every entry, in order; stops at the first failure (sockets bound so far are closed).
  static tl::expected<Listeners, BindError> bind(boost::asio::io_context& io_context,
                                                 const std::vector<ListenConfig>& listen);

  // Until the transport layer exists: read and drop datagrams, accept and close connections, so
  // peers get a prompt answer from the kernel instead of filling buffers and backlogs.
  // The Listeners must stay alive while the io_context runs.
  void discard_traffic(spdlog::logger& logger);

  // What was bound, in config order.
  const std::vector<BoundSocket>& bound() const { return bound_; }

 private:
  struct Datagram {
    boost::asio::ip::udp::socket socket;
    boost::asio::ip::udp::endpoint sender;
    std::array<char, 65536> buffer;  // the largest UDP payload
  };
  struct Stream {
    boost::asio::ip::tcp::acceptor acceptor;
  };

  // Behind unique_ptr so that pending handlers can hold plain pointers while Listeners moves.
  std::vector<std::unique_ptr<Datagram>> datagram_;
  std::vector<std::unique_ptr<Stream>> stream_;
  std::vector<BoundSocket> bound_;

  static void receive_and_drop(Datagram& datagram, spdlog::logger& logger);
  static void accept_and_close(Stream& stream, spdlog::logger& logger);
};

}  // namespace osprey::app
