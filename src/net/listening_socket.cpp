#include "net/listening_socket.hpp"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/ip/v6_only.hpp>

namespace osprey::net {

tl::expected<Endpoint, std::string> open_listening(boost::asio::ip::tcp::acceptor& acceptor,
                                                   const Endpoint& at) {
  using tcp = boost::asio::ip::tcp;
  using boost::system::error_code;
  const tcp::endpoint endpoint(at.address, at.port);
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return tl::unexpected(ec.message());
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return tl::unexpected(ec.message());
  // Every worker binds the same address; the kernel spreads new connections over them.
  const int on = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    return tl::unexpected(error_code(errno, boost::system::system_category()).message());
  }
  // A v6 listener takes only v6: v4 peers come to the v4 listener, with their own addresses
  // (not v4-mapped ones that would not match the v4 flows and limits).
  if (at.address.is_v6()) {
    acceptor.set_option(boost::asio::ip::v6_only(true), ec);
    if (ec) return tl::unexpected(ec.message());
  }
  acceptor.bind(endpoint, ec);
  if (ec) return tl::unexpected(ec.message());
  acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return tl::unexpected(ec.message());
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return tl::unexpected(ec.message());
  return Endpoint{bound.address(), bound.port()};
}

}  // namespace osprey::net
