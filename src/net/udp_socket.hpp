#pragma once
// One UDP socket of one worker (RFC 3261 §18.1, §18.2). Every worker binds its own socket to the
// same address with SO_REUSEPORT, so the kernel spreads datagrams across workers and a message
// is handled start to finish on the thread that read it. Reads come in batches (recvmmsg) so a
// burst costs few system calls.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <tl/expected.hpp>

#include "net/flow.hpp"
#include "net/transport.hpp"

namespace osprey::net {

// Lifetime: a UdpSocket lives on its worker's thread and the io_context must be run by that one
// thread (DESIGN.md: shared-nothing). It may be closed or destroyed at any time on that thread,
// even from inside TransportListener::on_message or with a read handler still queued: the
// handlers hold only a weak reference to the socket's state and do nothing once it is gone or
// closed. The io_context must outlive the UdpSocket (as for any Asio socket).
class UdpSocket {
 public:
  // The largest datagram read whole. The real UDP limits are lower (65507 bytes over IPv4,
  // 65527 over IPv6 without jumbograms), so no datagram a peer can send is ever cut.
  static constexpr std::size_t kMaxDatagram = 65535;

  // `max_datagram` bounds what is read: a longer datagram is counted in truncated() and dropped
  // whole, never handed up cut short (tests use a small value to reach that path).
  UdpSocket(boost::asio::io_context& io_context, TransportListener& listener,
            std::size_t max_datagram = kMaxDatagram);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Binds with SO_REUSEPORT (port 0: the system picks one) and starts reading. Returns the
  // bound endpoint, or the system's reason.
  tl::expected<Endpoint, std::string> open(const Endpoint& at);
  // One datagram; false if the send failed at once (the error is not retried: UDP).
  bool send_to(const Endpoint& destination, std::string_view bytes);
  // Between these two calls (they nest), datagrams are queued and leave together in sendmmsg
  // calls at the last release: one system call for many answers (a batch of store commits).
  void hold_sends();
  void release_sends();
  const Endpoint& local() const;
  void close();

  // Datagrams handed to the listener, and those dropped before parsing (truncated: larger
  // than max_datagram).
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
