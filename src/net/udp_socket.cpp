#include "net/udp_socket.hpp"

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

namespace osprey::net {

namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// One recvmmsg call reads up to this many datagrams: a burst costs one system call per 32.
constexpr std::size_t kBatch = 32;
// Batches read per wake-up before other work on this worker gets a turn (timers, streams,
// the other sockets). 8 x 32 = 256 datagrams.
constexpr int kBatchesPerWakeUp = 8;
// A bigger receive buffer absorbs bursts (REGISTER storms after a network outage) while the
// worker is busy. Best effort: the kernel caps it at net.core.rmem_max.
constexpr int kReceiveBufferBytes = 4 * 1024 * 1024;

// RFC 3261 §18.1.1 / §18.2.1 over IPv6: an IPv4 peer seen through a dual-stack socket shows up
// as ::ffff:a.b.c.d; everything above the transport compares and prints it as plain IPv4.
asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::optional<Endpoint> endpoint_of(const sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, &storage, sizeof in);
    return Endpoint{asio::ip::address_v4(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port)};
  }
  if (storage.ss_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &storage, sizeof in6);
    asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
    return Endpoint{unmapped(asio::ip::address_v6(bytes, in6.sin6_scope_id)), ntohs(in6.sin6_port)};
  }
  return std::nullopt;
}

// Puts `destination` in the family of the socket that sends to it: an IPv4 address is mapped
// for an IPv6 socket (which then fails at once, since our IPv6 sockets are IPV6_V6ONLY) and a
// mapped one is unmapped for an IPv4 socket.
asio::ip::udp::endpoint asio_endpoint(const Endpoint& destination, bool socket_is_v6) {
  asio::ip::address address = unmapped(destination.address);
  if (socket_is_v6 && address.is_v4()) {
    address = asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4());
  }
  return {address, destination.port};
}

// SO_REUSEPORT has no portable Boost option: set it on the native handle.
error_code set_reuse_port(int fd) {
  const int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    return {errno, boost::system::system_category()};
  }
  return {};
}

// Everything the read handlers touch. The handlers hold a weak_ptr, so destroying the UdpSocket
// frees this at once and a handler still queued in the io_context finds nothing and returns.
struct UdpState {
  UdpState(asio::io_context& context, TransportListener& listener_ref, std::size_t max)
      : io_context(context), socket(context), listener(listener_ref), max_datagram(max) {}

  asio::io_context& io_context;
  asio::ip::udp::socket socket;
  TransportListener& listener;
  std::size_t max_datagram;
  Endpoint local;
  bool closed = false;
  std::uint64_t received = 0;
  std::uint64_t truncated = 0;

  // kBatch slots of max_datagram + 1 bytes, allocated once in open(): a datagram that fills its
  // slot completely is longer than max_datagram even if the kernel did not flag MSG_TRUNC.
  std::unique_ptr<char[]> buffer;
  std::size_t slot_size = 0;
  std::array<mmsghdr, kBatch> headers{};
  std::array<iovec, kBatch> vectors{};
  std::array<sockaddr_storage, kBatch> sources{};

  // Answers produced while a batch is being delivered go out together in one sendmmsg after
  // it, as the reads came in with one recvmmsg: a burst costs two system calls per 32
  // datagrams instead of 33. The same while an owner holds the sends (UdpSocket::hold_sends:
  // answers to a batch of store commits). The strings keep their capacity from batch to batch.
  int holds = 0;
  std::size_t pending = 0;
  std::uint64_t send_errors = 0;
  std::array<std::string, kBatch> out_bytes;
  std::array<sockaddr_storage, kBatch> out_addresses{};
  std::array<socklen_t, kBatch> out_lengths{};
  std::array<mmsghdr, kBatch> out_headers{};
  std::array<iovec, kBatch> out_vectors{};

  void queue(const asio::ip::udp::endpoint& destination, std::string_view bytes) {
    if (pending == kBatch) flush();
    out_bytes[pending].assign(bytes.data(), bytes.size());
    std::memcpy(&out_addresses[pending], destination.data(), destination.size());
    out_lengths[pending] = static_cast<socklen_t>(destination.size());
    ++pending;
  }

  void flush() {
    std::size_t sent = 0;
    while (sent < pending && !closed) {
      for (std::size_t i = sent; i < pending; ++i) {
        out_vectors[i] = {out_bytes[i].data(), out_bytes[i].size()};
        out_headers[i] = {};
        out_headers[i].msg_hdr.msg_name = &out_addresses[i];
        out_headers[i].msg_hdr.msg_namelen = out_lengths[i];
        out_headers[i].msg_hdr.msg_iov = &out_vectors[i];
        out_headers[i].msg_hdr.msg_iovlen = 1;
      }
      const int count = ::sendmmsg(socket.native_handle(), out_headers.data() + sent,
                                   static_cast<unsigned>(pending - sent), MSG_DONTWAIT);
      if (count <= 0) {
        // The first unsent datagram failed (full buffer, ICMP error): skip it, as a failed
        // sendto would have; the transaction layer retransmits (RFC 3261 §17.1.1.2).
        ++send_errors;
        ++sent;
        continue;
      }
      sent += static_cast<std::size_t>(count);
    }
    pending = 0;
  }

  void prepare_buffers() {
    slot_size = max_datagram + 1;
    buffer = std::make_unique_for_overwrite<char[]>(kBatch * slot_size);
    for (std::size_t i = 0; i < kBatch; ++i) {
      vectors[i].iov_base = buffer.get() + i * slot_size;
      vectors[i].iov_len = slot_size;
      headers[i].msg_hdr.msg_iov = &vectors[i];
      headers[i].msg_hdr.msg_iovlen = 1;
      headers[i].msg_hdr.msg_name = &sources[i];
    }
  }

  // Armed only once the socket is drained (EAGAIN). Asio's epoll reactor is edge-triggered,
  // but starting a wait re-registers the descriptor (EPOLL_CTL_MOD in 1.74), so a datagram
  // that arrived between the EAGAIN and this call is reported, not lost.
  static void arm_wait(const std::shared_ptr<UdpState>& self) {
    std::weak_ptr<UdpState> weak = self;
    self->socket.async_wait(asio::socket_base::wait_read, [weak](const error_code& error) {
      if (error == asio::error::operation_aborted) return;  // close(): nothing more to read
      // Any other error: read anyway; recvmmsg reports the real state and re-arms the wait.
      if (auto state = weak.lock(); state && !state->closed) drain(state);
    });
  }

  static void drain(const std::shared_ptr<UdpState>& self) {
    const int fd = self->socket.native_handle();
    bool failed = false;
    for (int batch = 0; batch < kBatchesPerWakeUp; ++batch) {
      if (self->closed) return;
      for (auto& header : self->headers) {
        header.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        header.msg_hdr.msg_flags = 0;
        header.msg_len = 0;
      }
      const int count = ::recvmmsg(fd, self->headers.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (count < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          arm_wait(self);
          return;
        }
        // EINTR, or a pending socket error (an ICMP report) that this call consumed: try again,
        // within the batch bound so that a persistent error cannot spin.
        failed = true;
        continue;
      }
      failed = false;
      self->deliver(static_cast<std::size_t>(count));
      if (static_cast<std::size_t>(count) < kBatch && !self->closed) {
        // A short batch drained the queue as it was. No second read to hear EAGAIN: arming the
        // wait re-registers the descriptor, which reports anything that came in meanwhile (see
        // arm_wait). At ordinary rates each wake-up reads one datagram, so this is one system
        // call in four on the receive path.
        arm_wait(self);
        return;
      }
    }
    if (self->closed) return;
    if (failed) {
      arm_wait(self);
      return;
    }
    // Fairness bound reached with datagrams probably still queued: let the handlers already
    // waiting run, then read on. Posted rather than waited for: the data is known to be there,
    // and an edge-triggered reactor that did not re-report readiness would leave it stranded.
    std::weak_ptr<UdpState> weak = self;
    asio::post(self->io_context, [weak] {
      if (auto state = weak.lock(); state && !state->closed) drain(state);
    });
  }

  void deliver(std::size_t count) {
    ++holds;
    for (std::size_t i = 0; i < count && !closed; ++i) {
      const mmsghdr& header = headers[i];
      if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0 || header.msg_len > max_datagram) {
        ++truncated;  // never hand up a cut message: it would parse as something else
        continue;
      }
      std::optional<Endpoint> source = endpoint_of(sources[i]);
      if (!source) continue;  // not an IP source: cannot happen on an AF_INET/AF_INET6 socket
      ++received;
      const Flow flow{Protocol::udp, *source, local, 0};
      listener.on_message(std::string_view(buffer.get() + i * slot_size, header.msg_len), flow);
    }
    release();
  }

  void release() {
    if (--holds == 0 && pending > 0) flush();
  }
};

}  // namespace

class UdpSocket::Impl {
 public:
  std::shared_ptr<UdpState> state;
};

UdpSocket::UdpSocket(asio::io_context& io_context, TransportListener& listener, std::size_t max_datagram)
    : impl_(std::make_unique<Impl>()) {
  impl_->state = std::make_shared<UdpState>(io_context, listener, max_datagram);
}

UdpSocket::~UdpSocket() { close(); }

tl::expected<Endpoint, std::string> UdpSocket::open(const Endpoint& at) {
  UdpState& state = *impl_->state;
  if (state.socket.is_open() || state.closed) return tl::make_unexpected(std::string("socket already used"));
  const asio::ip::udp::endpoint endpoint(at.address, at.port);
  error_code error;
  auto fail = [&state](const error_code& reason) {
    error_code ignored;
    state.socket.close(ignored);
    return tl::make_unexpected(reason.message());
  };
  state.socket.open(endpoint.protocol(), error);
  if (error) return fail(error);
  // SO_REUSEADDR + SO_REUSEPORT: every worker binds its own socket to the same address and the
  // kernel spreads datagrams across them by source (DESIGN.md, threading).
  state.socket.set_option(asio::socket_base::reuse_address(true), error);
  if (error) return fail(error);
  if (error_code reuse = set_reuse_port(state.socket.native_handle())) return fail(reuse);
  if (at.address.is_v6()) {
    // IPv4 goes to the IPv4 socket; an IPv6 socket never sees mapped IPv4 peers.
    state.socket.set_option(asio::ip::v6_only(true), error);
    if (error) return fail(error);
  }
  error_code ignored;
  state.socket.set_option(asio::socket_base::receive_buffer_size(kReceiveBufferBytes), ignored);
  state.socket.bind(endpoint, error);
  if (error) return fail(error);
  state.socket.non_blocking(true, error);
  if (error) return fail(error);
  const asio::ip::udp::endpoint bound = state.socket.local_endpoint(error);
  if (error) return fail(error);
  state.local = Endpoint{bound.address(), bound.port()};
  state.prepare_buffers();
  UdpState::arm_wait(impl_->state);
  return state.local;
}

bool UdpSocket::send_to(const Endpoint& destination, std::string_view bytes) {
  UdpState& state = *impl_->state;
  if (state.closed || !state.socket.is_open()) return false;
  const auto endpoint = asio_endpoint(destination, state.local.address.is_v6());
  if (state.holds > 0) {
    // Inside a batch: sent with the others right after it (see UdpState::flush). A send error
    // there is counted, not reported: for UDP it is no different from a loss on the way.
    state.queue(endpoint, bytes);
    return true;
  }
  error_code error;
  // Non-blocking: a full send buffer (EAGAIN) is a failure, not a wait. UDP has no queue and
  // the transaction layer retransmits (RFC 3261 §17.1.1.2, §17.1.2.2).
  state.socket.send_to(asio::buffer(bytes.data(), bytes.size()), endpoint, 0, error);
  return !error;
}

void UdpSocket::hold_sends() { ++impl_->state->holds; }

void UdpSocket::release_sends() { impl_->state->release(); }

const Endpoint& UdpSocket::local() const { return impl_->state->local; }

void UdpSocket::close() {
  UdpState& state = *impl_->state;
  state.closed = true;
  error_code ignored;
  state.socket.cancel(ignored);
  state.socket.close(ignored);
}

std::uint64_t UdpSocket::received() const { return impl_->state->received; }
std::uint64_t UdpSocket::truncated() const { return impl_->state->truncated; }

tl::expected<void, std::string> check_port_free(Protocol protocol, const Endpoint& at) {
  if (at.port == 0) return {};  // the system picks a free port at bind time
  asio::io_context context;
  error_code error;
  if (protocol == Protocol::udp) {
    // No SO_REUSEADDR/SO_REUSEPORT: the bind fails if any socket holds the port, including
    // the SO_REUSEPORT sockets of another osprey, which would otherwise share its traffic.
    asio::ip::udp::socket socket(context);
    const asio::ip::udp::endpoint endpoint(at.address, at.port);
    socket.open(endpoint.protocol(), error);
    // IPV6_V6ONLY as open() sets it: [::] is checked for IPv6 alone, as it will be bound.
    if (!error && at.address.is_v6()) socket.set_option(asio::ip::v6_only(true), error);
    if (!error) socket.bind(endpoint, error);
    error_code ignored;
    socket.close(ignored);
  } else {
    // SO_REUSEADDR only: a port whose old connections linger in TIME_WAIT is free to listen
    // on, one with a listener is not.
    asio::ip::tcp::acceptor acceptor(context);
    const asio::ip::tcp::endpoint endpoint(at.address, at.port);
    acceptor.open(endpoint.protocol(), error);
    if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
    if (!error && at.address.is_v6()) acceptor.set_option(asio::ip::v6_only(true), error);
    if (!error) acceptor.bind(endpoint, error);
    error_code ignored;
    acceptor.close(ignored);
  }
  if (error) return tl::make_unexpected(error.message());
  return {};
}

}  // namespace osprey::net
