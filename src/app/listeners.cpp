#include "app/listeners.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/v6_only.hpp>

namespace osprey::app {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

tl::unexpected<BindError> bind_error(const ListenConfig& listen, const std::string& step,
                                     const error_code& error) {
  return tl::unexpected(BindError{listen, step + error.message()});
}

}  // namespace

std::string describe_socket(Transport transport, const asio::ip::address& address, std::uint16_t port) {
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return std::string(to_string(transport)) + " " + host + ":" + std::to_string(port);
}

std::string to_string(const BindError& error) {
  error_code ignored;
  const auto address = asio::ip::make_address(error.listen.address, ignored);
  return "cannot listen on " + describe_socket(error.listen.transport, address, error.listen.port) + ": " +
         error.reason;
}

tl::expected<Listeners, BindError> Listeners::bind(asio::io_context& io_context,
                                                   const std::vector<ListenConfig>& listen) {
  Listeners listeners;
  for (const ListenConfig& entry : listen) {
    error_code error;
    const auto address = asio::ip::make_address(entry.address, error);
    if (error) return bind_error(entry, "bad address: ", error);

    if (entry.transport == Transport::udp) {
      const asio::ip::udp::endpoint endpoint(address, entry.port);
      auto datagram = std::make_unique<Datagram>(Datagram{asio::ip::udp::socket(io_context), {}, {}});
      // No SO_REUSEADDR on UDP: on Linux it lets a second server bind the same port and silently
      // take part of the traffic, hiding exactly the "port in use" mistake we must report.
      if (datagram->socket.open(endpoint.protocol(), error); error) return bind_error(entry, "", error);
      // A v6 socket takes only IPv6, so that "::" and "0.0.0.0" can both be listed on one port.
      if (address.is_v6()) datagram->socket.set_option(asio::ip::v6_only(true), error);
      if (!error) datagram->socket.bind(endpoint, error);
      if (error) return bind_error(entry, "", error);
      listeners.bound_.push_back({entry.transport, address, datagram->socket.local_endpoint(error).port()});
      listeners.datagram_.push_back(std::move(datagram));
    } else {
      const asio::ip::tcp::endpoint endpoint(address, entry.port);
      auto stream = std::make_unique<Stream>(Stream{asio::ip::tcp::acceptor(io_context)});
      asio::ip::tcp::acceptor& acceptor = stream->acceptor;
      if (acceptor.open(endpoint.protocol(), error); error) return bind_error(entry, "", error);
      // SO_REUSEADDR lets a restarted server bind while old connections sit in TIME_WAIT; two
      // listening TCP sockets on one port still fail on Linux, so a real conflict is reported.
      acceptor.set_option(asio::socket_base::reuse_address(true), error);
      if (!error && address.is_v6()) acceptor.set_option(asio::ip::v6_only(true), error);
      if (!error) acceptor.bind(endpoint, error);
      if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
      if (error) return bind_error(entry, "", error);
      listeners.bound_.push_back({entry.transport, address, acceptor.local_endpoint(error).port()});
      listeners.stream_.push_back(std::move(stream));
    }
  }
  return listeners;
}

void Listeners::discard_traffic(spdlog::logger& logger) {
  for (auto& datagram : datagram_) receive_and_drop(*datagram, logger);
  for (auto& stream : stream_) accept_and_close(*stream, logger);
}

void Listeners::receive_and_drop(Datagram& datagram, spdlog::logger& logger) {
  datagram.socket.async_receive_from(
      asio::buffer(datagram.buffer), datagram.sender,
      [&datagram, &logger](const error_code& error, std::size_t size) {
        if (error == asio::error::operation_aborted) return;  // socket closed: shutting down
        if (!error) {
          logger.debug("dropped {}-byte datagram from {}:{}", size, datagram.sender.address().to_string(),
                       datagram.sender.port());
        } else if (error != asio::error::connection_refused && error != asio::error::message_size) {
          // Refused (an ICMP error for an earlier send) and truncation are routine on UDP; anything
          // else would likely repeat at once, so stop rather than spin.
          logger.warn("stopped reading UDP: {}", error.message());
          return;
        }
        receive_and_drop(datagram, logger);
      });
}

void Listeners::accept_and_close(Stream& stream, spdlog::logger& logger) {
  stream.acceptor.async_accept([&stream, &logger](const error_code& error, asio::ip::tcp::socket peer) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      error_code ignored;
      const auto remote = peer.remote_endpoint(ignored);
      logger.debug("closed connection from {}:{}", remote.address().to_string(), remote.port());
      // `peer` closes when it goes out of scope.
    } else if (error != asio::error::connection_aborted) {
      // Out of descriptors and the like: retrying at once would spin.
      error_code ignored;
      logger.warn("stopped accepting on port {}: {}", stream.acceptor.local_endpoint(ignored).port(),
                  error.message());
      return;
    }
    accept_and_close(stream, logger);
  });
}

}  // namespace osprey::app
