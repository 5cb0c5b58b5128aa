#pragma once
// One UDP socket of one worker (RFC 3261 §18.1, §18.2). Every worker binds its own socket to the
// same address with SO_REUSEPORT, so the kernel spreads datagrams across workers and a message
// is handled start to finish on the thread that read it. Reads come in batches (recvmmsg) so a
// burst costs few system calls.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <tl/expected.hpp>

#include "net/flow.hpp"
#include "net/transport.hpp"

namespace osprey::net {

class UdpSocket {
 public:
  UdpSocket(boost::asio::io_context& io_context, TransportListener& listener);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Binds with SO_REUSEPORT (port 0: the system picks one) and starts reading. Returns the
  // bound endpoint, or the system's reason.
  tl::expected<Endpoint, std::string> open(const Endpoint& at);
  // One datagram; false if the send failed at once (the error is not retried: UDP).
  bool send_to(const Endpoint& destination, std::string_view bytes);
  const Endpoint& local() const;
  void close();

  // Datagrams read, and those dropped before parsing (truncated: larger than 64 KiB).
  std::uint64_t received() const;
  std::uint64_t truncated() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// True if nothing listens on `at` for this protocol, checked with a plain bind (no
// SO_REUSEPORT), so that a second osprey on the same port fails instead of sharing it. The
// error is the system's reason.
tl::expected<void, std::string> check_port_free(Protocol protocol, const Endpoint& at);

}  // namespace osprey::net
