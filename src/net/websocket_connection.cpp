// SIP over WebSocket (RFC 7118): one accepted TCP (ws) or TLS (wss) connection, the HTTP
// upgrade (RFC 6455 §4.2) judged by net/websocket_upgrade.hpp, then one SIP message per
// WebSocket message. The client side (RFC 6455 §4.1) serves only osprey's own tools. To the rest of osprey it
// is a StreamConnection like any TCP one: it has a ConnectionId, responses and requests to a WebSocket user
// go down it, and its close is reported to the owner.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <optional>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "net/receive_deadline.hpp"
#include "net/stream_connection.hpp"
#include "net/tls_peer_verification.hpp"
#include "net/utf8_text.hpp"

namespace osprey::net {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// The upgrade request is a few hundred bytes; a browser's, with cookies, a few kilobytes.
constexpr std::uint32_t kMaxUpgradeRequestBytes = 8192;
// One read takes at most this much of a WebSocket message.
constexpr std::size_t kReadSize = 8192;

enum class Role { server, client };

Endpoint to_endpoint(const tcp::endpoint& endpoint) { return {endpoint.address(), endpoint.port()}; }

Flow flow_of_accepted(const tcp::socket& socket, Protocol protocol, ConnectionId id) {
  Flow flow{protocol, {}, {}, id};
  error_code ec;
  if (const auto remote = socket.remote_endpoint(ec); !ec) flow.remote = to_endpoint(remote);
  if (const auto local = socket.local_endpoint(ec); !ec) flow.local = to_endpoint(local);
  return flow;
}

// RFC 5626 §3.5.1 / §4.4.1: CRLFs alone are a keep-alive, not a SIP message.
bool only_line_ends(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\r' || c == '\n'; });
}

template <bool kTls>
class WebSocketConnection final : public StreamConnection {
 public:
  using Next = std::conditional_t<kTls, beast::ssl_stream<tcp::socket>, tcp::socket>;

  WebSocketConnection(tcp::socket socket, std::shared_ptr<ssl::context> context,
                      std::shared_ptr<const WebSocketPolicy> policy, Role role, std::string server_name,
                      const Flow& flow, const StreamLimits& limits, ConnectionOwner& owner)
      : StreamConnection(flow),
        owner_(&owner),
        limits_(limits),
        role_(role),
        server_name_(std::move(server_name)),
        policy_(std::move(policy)),
        context_(std::move(context)),
        ws_(make_next(std::move(socket), context_.get())),
        timer_(ws_.get_executor()),
        receive_deadline_(limits.first_message_timeout, limits.message_timeout) {}

  void start() override {
    if (state_ != State::idle) return;
    const Clock::time_point now = Clock::now();
    // TLS, HTTP upgrade and WebSocket handshake together must finish within the handshake
    // timeout, and the first SIP message within the first-message timeout (a slow sender
    // holds no slot: net/receive_deadline.hpp).
    handshake_due_ = now + limits_.handshake_timeout;
    if (role_ == Role::client) {
      arm_deadline();
      connect();
      return;
    }
    receive_deadline_.expect_first_message(now);
    arm_deadline();
    on_transport_ready();
  }

  void on_transport_ready() {
    error_code ignored;
    tcp::socket& socket = beast::get_lowest_layer(ws_);
    socket.set_option(tcp::no_delay(true), ignored);
    if (const auto local = socket.local_endpoint(ignored); !ignored) flow_.local = to_endpoint(local);
    if (role_ == Role::client) {
      client_handshake();
      return;
    }
    if constexpr (kTls) {
      state_ = State::tls_handshake;
      ws_.next_layer().async_handshake(ssl::stream_base::server,
                                       [this, self = shared_from_this()](const error_code& ec) {
                                         if (state_ != State::tls_handshake) return;
                                         if (ec) {
                                           close("TLS handshake failed: " + ec.message());
                                           return;
                                         }
                                         read_upgrade();
                                       });
    } else {
      read_upgrade();
    }
  }

  bool send(std::string_view bytes) override {
    if (state_ == State::closing || state_ == State::closed) return false;
    // A peer that does not read must not make us hold its output without bound.
    if (queued_bytes_ + bytes.size() > limits_.max_buffered_bytes) {
      close("output queue over " + std::to_string(limits_.max_buffered_bytes) + " bytes");
      return false;
    }
    if (bytes.empty()) return true;
    queue_.emplace_back(bytes);
    queued_bytes_ += bytes.size();
    if (state_ == State::open) write_next();
    return true;
  }

  void close(std::string_view reason) override {
    if (state_ == State::closed) return;
    state_ = State::closed;
    timer_.cancel();
    // Pending operations complete with errors and find the connection closed.
    error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
    message_.clear();
    if (ConnectionOwner* owner = std::exchange(owner_, nullptr)) owner->on_connection_closed(*this, reason);
  }

  void detach() override {
    owner_ = nullptr;
    close("shutdown");
  }

  bool closing() const override { return state_ == State::closing || state_ == State::closed; }

 private:
  enum class State {
    idle,           // created, start() not called yet
    connecting,     // client: the TCP connect
    tls_handshake,  // wss: the TLS handshake
    upgrade,        // reading and judging the HTTP upgrade request, then answering it
    open,           // one SIP message per WebSocket message, both ways
    closing,        // a refusal is being written: nothing else is taken
    closed,
  };

  static Next make_next(tcp::socket socket, ssl::context* context) {
    if constexpr (kTls) {
      return Next(std::move(socket), *context);
    } else {
      (void)context;
      return socket;
    }
  }

  void connect() {
    state_ = State::connecting;
    beast::get_lowest_layer(ws_).async_connect(tcp::endpoint(flow_.remote.address, flow_.remote.port),
                                               [this, self = shared_from_this()](const error_code& ec) {
                                                 if (state_ != State::connecting) return;
                                                 if (ec) {
                                                   close("connect failed: " + ec.message());
                                                   return;
                                                 }
                                                 on_transport_ready();
                                               });
  }

  // The client's TLS handshake (verifying the server: RFC 3261 §26.2.1), then the upgrade.
  void client_handshake() {
    if constexpr (kTls) {
      state_ = State::tls_handshake;
      error_code ec;
      ws_.next_layer().set_verify_mode(ssl::verify_peer, ec);
      std::string problem = ec ? "TLS verify mode: " + ec.message()
                               : prepare_tls_peer_verification(ws_.next_layer().native_handle(), server_name_,
                                                               flow_.remote.address.to_string());
      if (!problem.empty()) {
        close(problem);
        return;
      }
      ws_.next_layer().async_handshake(ssl::stream_base::client,
                                       [this, self = shared_from_this()](const error_code& handshake_error) {
                                         if (state_ != State::tls_handshake) return;
                                         if (handshake_error) {
                                           close("TLS handshake failed: " + handshake_error.message());
                                           return;
                                         }
                                         upgrade_as_client();
                                       });
    } else {
      upgrade_as_client();
    }
  }

  // RFC 7118 §4.1: the client offers `sip`, and the server must select it.
  void upgrade_as_client() {
    state_ = State::upgrade;
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(http::field::sec_websocket_protocol,
                  beast::string_view(kSipSubprotocol.data(), kSipSubprotocol.size()));
      request.set(http::field::user_agent, "osprey");
    }));
    set_open_options();
    std::string host = server_name_.empty() ? to_string(flow_.remote) : server_name_;
    ws_.async_handshake(upgrade_response_, host, "/",
                        [this, self = shared_from_this()](const error_code& ec) {
                          if (state_ != State::upgrade) return;
                          if (ec) {
                            close("WebSocket handshake failed: " + ec.message());
                            return;
                          }
                          const auto selected = upgrade_response_[http::field::sec_websocket_protocol];
                          if (std::string_view(selected.data(), selected.size()) != kSipSubprotocol) {
                            close("the server did not select the sip WebSocket subprotocol");
                            return;
                          }
                          on_accepted({});
                        });
  }

  // Beast's own timer: the handshake must finish within the handshake timeout; once open, a
  // peer that sends nothing for half the idle timeout is pinged, and one that still sends
  // nothing (no pong either) by the idle timeout is closed (RFC 6455 §5.5.2).
  void set_open_options() {
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = limits_.handshake_timeout;
    timeouts.idle_timeout = limits_.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(limits_.max_message_size);
    ws_.auto_fragment(false);
  }

  void read_upgrade() {
    state_ = State::upgrade;
    parser_.emplace();
    parser_->header_limit(kMaxUpgradeRequestBytes);
    parser_->body_limit(0);  // RFC 6455 §4.1: the handshake is a GET without a body
    http::async_read(
        ws_.next_layer(), http_buffer_, *parser_,
        [this, self = shared_from_this()](const error_code& ec, std::size_t) { on_upgrade_read(ec); });
  }

  void on_upgrade_read(const error_code& ec) {
    if (state_ != State::upgrade) return;
    if (ec) {
      if (ec == http::error::end_of_stream || ec == asio::error::eof) {
        close("closed by the peer before the WebSocket handshake");
      } else {
        refuse({400, "Bad Request"}, "bad WebSocket upgrade request: " + ec.message());
      }
      return;
    }
    // Kept as a member: Beast's accept refers to it until it has answered.
    upgrade_request_ = parser_->release();
    parser_.reset();
    if (auto refusal = judge_upgrade(upgrade_request_, *policy_)) {
      std::string why =
          "WebSocket upgrade refused: " + std::to_string(refusal->status) + ' ' + refusal->reason;
      refuse(std::move(*refusal), std::move(why));
      return;
    }
    // RFC 7118 §4.1: the response selects the `sip` subprotocol the client offered.
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
      response.set(http::field::sec_websocket_protocol,
                   beast::string_view(kSipSubprotocol.data(), kSipSubprotocol.size()));
      response.set(http::field::server, "osprey");
    }));
    set_open_options();
    ws_.async_accept(upgrade_request_, [this, self = shared_from_this()](const error_code& accept_error) {
      on_accepted(accept_error);
    });
  }

  // An HTTP error response, then the connection closes (RFC 6455 §4.2.2: a server that does
  // not accept answers with an HTTP error and the client must not speak WebSocket on it).
  void refuse(UpgradeRefusal refusal, std::string why) {
    state_ = State::closing;
    close_reason_ = std::move(why);
    refusal_.emplace(static_cast<http::status>(refusal.status), 11);
    refusal_->reason(refusal.reason);
    refusal_->set(http::field::server, "osprey");
    refusal_->set(http::field::connection, "close");
    if (refusal.status == 426) {
      refusal_->set(http::field::upgrade, "websocket");
      refusal_->set(http::field::sec_websocket_version, "13");
    }
    refusal_->body() = refusal.reason + "\r\n";
    refusal_->prepare_payload();
    http::async_write(
        ws_.next_layer(), *refusal_,
        [this, self = shared_from_this()](const error_code&, std::size_t) { close(close_reason_); });
  }

  void on_accepted(const error_code& ec) {
    if (state_ != State::upgrade) return;
    if (ec) {
      // Beast answered a bad key or version with its own HTTP error before failing.
      close("WebSocket handshake failed: " + ec.message());
      return;
    }
    state_ = State::open;
    handshake_due_ = Clock::time_point::max();
    arm_deadline();
    read();
    write_next();
  }

  // One timer for the handshake and the SIP message deadlines; Beast's runs the idle one.
  void arm_deadline() {
    const Clock::time_point due = std::min(handshake_due_, receive_deadline_.due());
    if (due == armed_for_) return;
    armed_for_ = due;
    if (due == Clock::time_point::max()) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(due);  // cancels a wait for another deadline: that handler sees aborted
    timer_.async_wait([this, self = shared_from_this()](const error_code& ec) { on_deadline(ec); });
  }

  void on_deadline(const error_code& ec) {
    if (ec || state_ == State::closed) return;
    const Clock::time_point now = Clock::now();
    if (now >= handshake_due_) {
      close(state_ == State::closing ? std::string_view(close_reason_) : "WebSocket handshake timeout");
      return;
    }
    if (now >= receive_deadline_.due()) {
      close(receive_deadline_.reason());
      return;
    }
    armed_for_ = Clock::time_point::max();
    arm_deadline();
  }

  void read() {
    ws_.async_read_some(
        message_, kReadSize,
        [this, self = shared_from_this()](const error_code& ec, std::size_t) { on_read(ec); });
  }

  void on_read(const error_code& ec) {
    if (state_ != State::open) return;
    if (ec) {
      if (ec == websocket::error::closed) {
        close("closed by the peer");
      } else if (ec == websocket::error::message_too_big) {
        // Beast has sent the close frame with status 1009 (RFC 6455 §7.4.1).
        close("WebSocket message over " + std::to_string(limits_.max_message_size) + " bytes");
      } else {
        close("read failed: " + ec.message());
      }
      return;
    }
    const bool done = ws_.is_message_done();
    if (done) {
      const std::string_view bytes(static_cast<const char*>(message_.data().data()), message_.size());
      take(bytes);
      if (state_ != State::open) return;  // closed by the listener (a ban, say)
      message_.clear();
    }
    // A message, once begun, has a fixed time to complete (net/receive_deadline.hpp).
    if (receive_deadline_.after_read(Clock::now(), done, !done && message_.size() > 0) || done)
      arm_deadline();
    read();
  }

  // RFC 7118 §5: one WebSocket message is one SIP message. A message that does not parse is
  // the layer above's to answer or drop, as for a datagram; the connection stays.
  void take(std::string_view bytes) {
    if (only_line_ends(bytes)) {
      // RFC 5626 §3.5.1: a double CRLF is answered with a single one.
      if (bytes == "\r\n\r\n") send("\r\n");
      return;
    }
    if (owner_ == nullptr) return;
    if (!first_message_reported_) {
      first_message_reported_ = true;
      owner_->on_connection_first_message(*this);
      if (owner_ == nullptr) return;
    }
    owner_->on_connection_message(bytes, flow_);
  }

  void write_next() {
    if (writing_ || queue_.empty() || state_ != State::open) return;
    writing_ = true;
    ws_.text(is_utf8_text(queue_.front()));
    ws_.async_write(asio::buffer(queue_.front()),
                    [this, self = shared_from_this()](const error_code& ec, std::size_t) { on_written(ec); });
  }

  void on_written(const error_code& ec) {
    writing_ = false;
    if (state_ != State::open) return;
    if (ec) {
      close("write failed: " + ec.message());
      return;
    }
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    write_next();
  }

  ConnectionOwner* owner_;
  StreamLimits limits_;
  Role role_;
  std::string server_name_;  // client: the host to verify and to name in the upgrade request
  std::shared_ptr<const WebSocketPolicy> policy_;
  // Declared before the stream: the SSL object refers to the context, which must outlive it.
  std::shared_ptr<ssl::context> context_;
  websocket::stream<Next> ws_;
  asio::steady_timer timer_;
  State state_ = State::idle;
  Clock::time_point handshake_due_ = Clock::time_point::max();
  Clock::time_point armed_for_ = Clock::time_point::max();
  ReceiveDeadline receive_deadline_;
  std::string close_reason_;
  bool first_message_reported_ = false;

  beast::flat_buffer http_buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::request<http::empty_body> upgrade_request_;
  std::optional<http::response<http::string_body>> refusal_;
  websocket::response_type upgrade_response_;
  beast::flat_buffer message_;

  std::deque<std::string> queue_;  // deque: the front stays put while a write refers to it
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
};

}  // namespace

std::shared_ptr<StreamConnection> StreamConnection::accepted_ws(tcp::socket socket,
                                                                std::shared_ptr<const WebSocketPolicy> policy,
                                                                ConnectionId id, const StreamLimits& limits,
                                                                ConnectionOwner& owner) {
  const Flow flow = flow_of_accepted(socket, Protocol::ws, id);
  return std::make_shared<WebSocketConnection<false>>(std::move(socket), nullptr, std::move(policy),
                                                      Role::server, std::string(), flow, limits, owner);
}

std::shared_ptr<StreamConnection> StreamConnection::accepted_wss(
    tcp::socket socket, std::shared_ptr<ssl::context> context, std::shared_ptr<const WebSocketPolicy> policy,
    ConnectionId id, const StreamLimits& limits, ConnectionOwner& owner) {
  const Flow flow = flow_of_accepted(socket, Protocol::wss, id);
  return std::make_shared<WebSocketConnection<true>>(std::move(socket), std::move(context), std::move(policy),
                                                     Role::server, std::string(), flow, limits, owner);
}

std::shared_ptr<StreamConnection> StreamConnection::outbound_ws(asio::io_context& io_context,
                                                                const Endpoint& remote,
                                                                std::string server_name, ConnectionId id,
                                                                const StreamLimits& limits,
                                                                ConnectionOwner& owner) {
  const Flow flow{Protocol::ws, remote, {}, id};
  return std::make_shared<WebSocketConnection<false>>(tcp::socket(io_context), nullptr, nullptr, Role::client,
                                                      std::move(server_name), flow, limits, owner);
}

std::shared_ptr<StreamConnection> StreamConnection::outbound_wss(asio::io_context& io_context,
                                                                 const Endpoint& remote,
                                                                 std::string server_name,
                                                                 std::shared_ptr<ssl::context> context,
                                                                 ConnectionId id, const StreamLimits& limits,
                                                                 ConnectionOwner& owner) {
  const Flow flow{Protocol::wss, remote, {}, id};
  return std::make_shared<WebSocketConnection<true>>(tcp::socket(io_context), std::move(context), nullptr,
                                                     Role::client, std::move(server_name), flow, limits,
                                                     owner);
}

}  // namespace osprey::net
