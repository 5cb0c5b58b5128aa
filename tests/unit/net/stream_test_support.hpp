#pragma once
// Peers and helpers for the stream transport tests (RecordingListener and run_until come from
// recording_listener.hpp). Everything runs on one io_context on the
// test's thread: connects and small writes are blocking (the kernel completes them without the
// server running), reads are asynchronous, and the io_context only ever runs with a deadline.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include "net/flow.hpp"
#include "net/recording_listener.hpp"
#include "net/transport.hpp"

namespace osprey::net::testing {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Silent unless OSPREY_TEST_LOG is set.
inline std::shared_ptr<spdlog::logger> test_logger() {
  auto logger = std::make_shared<spdlog::logger>("net-test");
  if (std::getenv("OSPREY_TEST_LOG") != nullptr) {
    logger->sinks().push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_level(spdlog::level::debug);
  }
  return logger;
}

// An OPTIONS request as a peer would send it over a stream; `branch` makes it unique.
inline std::string sip_request(std::string_view branch, std::string_view body = {}) {
  return "OPTIONS sip:bob@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK" +
         std::string(branch) +
         "\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:alice@example.com>;tag=1928301774\r\n"
         "To: <sip:bob@example.com>\r\n"
         "Call-ID: " +
         std::string(branch) +
         "@test\r\n"
         "CSeq: 1 OPTIONS\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

inline Endpoint to_endpoint(const tcp::endpoint& endpoint) { return {endpoint.address(), endpoint.port()}; }

// The state a pending read refers to: owned jointly by the peer and its handlers, so a peer
// destroyed with a read pending leaves nothing dangling.
template <typename Stream>
struct PeerState {
  template <typename... Args>
  explicit PeerState(std::shared_ptr<void> keep_alive, Args&&... args)
      : keep(std::move(keep_alive)), stream(std::forward<Args>(args)...) {}
  std::shared_ptr<void> keep;  // the TLS context, declared first so it outlives the stream
  Stream stream;
  std::string received;
  bool ended = false;
  bool handshake_done = false;
  error_code handshake_error;
  std::array<char, 4096> buffer{};
};

template <typename Stream>
void read_into(const std::shared_ptr<PeerState<Stream>>& state) {
  state->stream.async_read_some(asio::buffer(state->buffer), [state](const error_code& ec, std::size_t n) {
    if (ec) {
      state->ended = true;
      return;
    }
    state->received.append(state->buffer.data(), n);
    read_into(state);
  });
}

// A plain TCP peer: a client we connect, or a socket accepted by a test acceptor.
class TcpPeer {
 public:
  explicit TcpPeer(asio::io_context& io) : state_(std::make_shared<PeerState<tcp::socket>>(nullptr, io)) {}
  explicit TcpPeer(tcp::socket socket)
      : state_(std::make_shared<PeerState<tcp::socket>>(nullptr, std::move(socket))) {
    read_into(state_);
  }
  ~TcpPeer() { close(); }
  TcpPeer(const TcpPeer&) = delete;
  TcpPeer& operator=(const TcpPeer&) = delete;

  bool connect(const Endpoint& to) {
    error_code ec;
    state_->stream.connect(tcp::endpoint(to.address, to.port), ec);
    if (ec) return false;
    read_into(state_);
    return true;
  }
  // From a chosen source address (Linux accepts any 127/8 address on the loopback).
  bool connect(const Endpoint& to, const asio::ip::address& from) {
    error_code ec;
    state_->stream.open(from.is_v4() ? tcp::v4() : tcp::v6(), ec);
    if (!ec) state_->stream.bind(tcp::endpoint(from, 0), ec);
    if (ec) return false;
    return connect(to);
  }
  void write(std::string_view bytes) {
    error_code ignored;
    asio::write(state_->stream, asio::buffer(bytes), ignored);
  }
  void close() {
    error_code ignored;
    state_->stream.close(ignored);
  }
  Endpoint local() const {
    error_code ignored;
    return to_endpoint(state_->stream.local_endpoint(ignored));
  }
  const std::string& received() const { return state_->received; }
  bool ended() const { return state_->ended; }

 private:
  std::shared_ptr<PeerState<tcp::socket>> state_;
};

// A TLS client that trusts `ca_file`.
class TlsPeer {
 public:
  TlsPeer(asio::io_context& io, const std::filesystem::path& ca_file) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    error_code ignored;
    context->load_verify_file(ca_file.string(), ignored);
    context->set_verify_mode(ssl::verify_peer, ignored);
    ssl::context& context_ref = *context;
    state_ = std::make_shared<PeerState<ssl::stream<tcp::socket>>>(std::move(context), io, context_ref);
  }
  ~TlsPeer() {
    error_code ignored;
    state_->stream.lowest_layer().close(ignored);
  }
  TlsPeer(const TlsPeer&) = delete;
  TlsPeer& operator=(const TlsPeer&) = delete;

  // Connects and handshakes, running `io` meanwhile; true when the handshake succeeded.
  bool connect(asio::io_context& io, const Endpoint& to) {
    error_code ec;
    state_->stream.lowest_layer().connect(tcp::endpoint(to.address, to.port), ec);
    if (ec) return false;
    auto state = state_;
    state_->stream.async_handshake(ssl::stream_base::client, [state](const error_code& result) {
      state->handshake_done = true;
      state->handshake_error = result;
    });
    if (!run_until(io, [state] { return state->handshake_done; }) || state->handshake_error) return false;
    read_into(state_);
    return true;
  }
  void write(asio::io_context& io, std::string_view bytes) {
    // Asynchronous: a TLS write may need the server to answer (a key update) before it completes.
    auto state = state_;
    auto written = std::make_shared<bool>(false);
    auto data = std::make_shared<std::string>(bytes);
    asio::async_write(state_->stream, asio::buffer(*data),
                      [written, data](const error_code&, std::size_t) { *written = true; });
    run_until(io, [written] { return *written; });
  }
  const std::string& received() const { return state_->received; }
  bool ended() const { return state_->ended; }

  // The server certificate's serial number and subject, as this connection saw them.
  long peer_serial() const {
    X509* certificate = SSL_get1_peer_certificate(state_->stream.native_handle());
    if (certificate == nullptr) return -1;
    const long serial = ASN1_INTEGER_get(X509_get0_serialNumber(certificate));
    X509_free(certificate);
    return serial;
  }
  std::string peer_subject() const {
    X509* certificate = SSL_get1_peer_certificate(state_->stream.native_handle());
    if (certificate == nullptr) return {};
    std::array<char, 256> text{};
    X509_NAME_oneline(X509_get_subject_name(certificate), text.data(), static_cast<int>(text.size()));
    X509_free(certificate);
    return text.data();
  }

 private:
  std::shared_ptr<PeerState<ssl::stream<tcp::socket>>> state_;
};

}  // namespace osprey::net::testing
