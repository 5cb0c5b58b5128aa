#include "net/stream_connection.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <type_traits>
#include <vector>

#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "net/receive_deadline.hpp"
#include "net/stream_error_reply.hpp"
#include "net/tls_peer_verification.hpp"
#include "sip/stream_framer.hpp"

namespace osprey::net {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// One read takes at most this much; a SIP message is usually well under it.
constexpr std::size_t kReadSize = 8192;
// Queued messages go out together in one gathered write, up to this many.
constexpr std::size_t kMaxWriteBatch = 16;
// After a framing error, the reply gets at most this long (or the handshake timeout, if
// shorter) to leave before the socket closes regardless.
constexpr Clock::duration kLingerLimit = std::chrono::seconds(2);

Endpoint to_endpoint(const tcp::endpoint& endpoint) { return {endpoint.address(), endpoint.port()}; }

enum class Role { server, client };

Flow flow_of_accepted(const tcp::socket& socket, Protocol protocol, ConnectionId id) {
  Flow flow{protocol, {}, {}, id};
  error_code ec;
  if (const auto remote = socket.remote_endpoint(ec); !ec) flow.remote = to_endpoint(remote);
  if (const auto local = socket.local_endpoint(ec); !ec) flow.local = to_endpoint(local);
  return flow;
}

template <bool kTls>
class BasicConnection final : public StreamConnection {
 public:
  using Stream = std::conditional_t<kTls, ssl::stream<tcp::socket>, tcp::socket>;

  BasicConnection(tcp::socket tcp_socket, std::shared_ptr<ssl::context> context, Role role,
                  std::string server_name, const Flow& flow, const StreamLimits& limits,
                  ConnectionOwner& owner)
      : StreamConnection(flow),
        owner_(&owner),
        limits_(limits),
        role_(role),
        server_name_(std::move(server_name)),
        context_(std::move(context)),
        stream_(make_stream(std::move(tcp_socket), context_.get())),
        timer_(stream_.get_executor()),
        receive_deadline_(limits.first_message_timeout, limits.message_timeout),
        framer_(sip::FramerLimits{limits.max_message_size}) {}

  void start() override {
    if (state_ != State::idle) return;
    if (role_ == Role::client) {
      connect();
    } else {
      // The clock for the first message starts at the accept, so a slow TLS handshake counts.
      receive_deadline_.expect_first_message(Clock::now());
      on_transport_ready();
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
    error_code ignored;
    timer_.cancel();
    // Pending operations complete with operation_aborted and find the connection closed; the
    // queued output stays allocated until the write in flight (if any) has returned.
    socket().close(ignored);
    framer_ = sip::StreamFramer(sip::FramerLimits{limits_.max_message_size});
    pending_ = std::string();
    if (ConnectionOwner* owner = std::exchange(owner_, nullptr)) owner->on_connection_closed(*this, reason);
  }

  void detach() override {
    owner_ = nullptr;
    close("shutdown");
  }

  bool closing() const override { return state_ == State::closing || state_ == State::closed; }

 private:
  enum class State {
    idle,         // created, start() not called yet
    connecting,   // outbound TCP connect in progress
    handshaking,  // TLS handshake in progress
    open,         // reading and writing
    closing,      // a framing error is being answered: no more input is taken, output drains
    closed,
  };

  static Stream make_stream(tcp::socket socket, ssl::context* context) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *context);
    } else {
      (void)context;
      return socket;
    }
  }

  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void connect() {
    state_ = State::connecting;
    arm_deadline(Clock::now() + limits_.handshake_timeout);
    socket().async_connect(tcp::endpoint(flow_.remote.address, flow_.remote.port),
                           [this, self = shared_from_this()](const error_code& ec) { on_connected(ec); });
  }

  void on_connected(const error_code& ec) {
    if (state_ != State::connecting) return;  // closed meanwhile
    if (ec) {
      close("connect failed: " + ec.message());
      return;
    }
    on_transport_ready();
  }

  // The TCP connection is up (accepted, or connected).
  void on_transport_ready() {
    error_code ignored;
    // SIP over TCP is mostly small messages answered at once: Nagle's delay only adds latency.
    socket().set_option(tcp::no_delay(true), ignored);
    if (const auto local = socket().local_endpoint(ignored); !ignored) flow_.local = to_endpoint(local);
    if constexpr (kTls) {
      handshake();
    } else {
      become_open();
    }
  }

  void handshake() {
    state_ = State::handshaking;
    // The deadline also bounds a peer that opens a connection and never speaks TLS.
    arm_deadline(std::min(Clock::now() + limits_.handshake_timeout, receive_deadline_.due()));
    if (role_ == Role::client) {
      if (std::string problem = prepare_peer_verification(); !problem.empty()) {
        close(problem);
        return;
      }
    }
    stream_.async_handshake(role_ == Role::client ? ssl::stream_base::client : ssl::stream_base::server,
                            [this, self = shared_from_this()](const error_code& ec) { on_handshake(ec); });
  }

  // RFC 3261 §26.2.1 / RFC 5922 §7 (net/tls_peer_verification.hpp).
  std::string prepare_peer_verification() {
    error_code ec;
    stream_.set_verify_mode(ssl::verify_peer, ec);
    if (ec) return "TLS verify mode: " + ec.message();
    return prepare_tls_peer_verification(stream_.native_handle(), server_name_,
                                         flow_.remote.address.to_string());
  }

  void on_handshake(const error_code& ec) {
    if (state_ != State::handshaking) return;
    if (ec) {
      close("TLS handshake failed: " + ec.message());
      return;
    }
    become_open();
  }

  void become_open() {
    state_ = State::open;
    last_activity_ = Clock::now();
    arm_deadline(open_deadline());
    read();
    write_next();
  }

  // One timer serves every deadline: connect, handshake, idle, message, lingering close. The
  // idle case is not re-armed on every byte; when it fires it checks the last activity and
  // waits again. The message deadline moves at most once per message (ReceiveDeadline).
  void arm_deadline(Clock::time_point at) {
    deadline_ = at;
    timer_.expires_at(at);  // cancels a wait for an earlier deadline: that handler sees aborted
    timer_.async_wait([this, self = shared_from_this()](const error_code& ec) { on_deadline(ec); });
  }

  void on_deadline(const error_code& ec) {
    if (ec || state_ == State::closed) return;  // re-armed or closed meanwhile
    const Clock::time_point due = state_ == State::open ? open_deadline() : deadline_;
    const Clock::time_point now = Clock::now();
    if (now < due) {
      arm_deadline(due);
      return;
    }
    const bool message_late = now >= receive_deadline_.due();
    switch (state_) {
      case State::connecting: close("connect timeout"); return;
      case State::handshaking:
        close(message_late ? receive_deadline_.reason() : std::string_view("TLS handshake timeout"));
        return;
      case State::open:
        close(message_late ? receive_deadline_.reason() : std::string_view("idle timeout"));
        return;
      case State::closing: close(close_reason_); return;
      case State::idle:
      case State::closed: return;
    }
  }

  // While open: the idle timeout, or the message deadline if that comes first.
  Clock::time_point open_deadline() const {
    return std::min(last_activity_ + limits_.idle_timeout, receive_deadline_.due());
  }

  void read() {
    stream_.async_read_some(
        asio::buffer(read_buffer_),
        [this, self = shared_from_this()](const error_code& ec, std::size_t n) { on_read(ec, n); });
  }

  void on_read(const error_code& ec, std::size_t n) {
    if (state_ == State::closed) return;
    if (ec) {
      if (state_ == State::closing) {
        close(close_reason_);
      } else {
        close(ec == asio::error::eof ? std::string("closed by the peer") : "read failed: " + ec.message());
      }
      return;
    }
    last_activity_ = Clock::now();
    // While closing, input is read only to see the peer's end, and dropped.
    if (state_ == State::open) take(std::string_view(read_buffer_.data(), n));
    if (state_ == State::open || state_ == State::closing) read();
  }

  // Cuts every complete message out of the stream so far (RFC 3261 §18.3: the Content-Length
  // gives each message's end; the next message starts right after).
  void take(std::string_view chunk) {
    if (auto appended = framer_.append(chunk); !appended) {
      std::string unconsumed = pending_;
      unconsumed.append(chunk);
      fail(appended.error(), unconsumed);
      return;
    }
    bool delivered = false;
    while (state_ == State::open) {
      auto frame = framer_.next();
      if (!frame) {
        fail(frame.error(), unconsumed_with(chunk));
        return;
      }
      switch (frame->kind) {
        case sip::FrameKind::need_more:
          keep_unconsumed(chunk);
          update_receive_deadline(delivered);
          return;
        case sip::FrameKind::message:
          delivered = true;
          if (!first_message_reported_ && owner_ != nullptr) {
            first_message_reported_ = true;
            owner_->on_connection_first_message(*this);
          }
          if (owner_ != nullptr) owner_->on_connection_message(frame->bytes, flow_);
          break;
        case sip::FrameKind::ping: send("\r\n"); break;  // RFC 5626 §3.5.1: CRLFCRLF is answered with CRLF
        case sip::FrameKind::pong: break;
      }
    }
  }

  // Once per read, not per byte: the timer moves only when a new message has begun and its
  // deadline comes before what the timer waits for.
  void update_receive_deadline(bool delivered) {
    if (receive_deadline_.after_read(last_activity_, delivered, framer_.message_started()) &&
        receive_deadline_.due() < deadline_) {
      arm_deadline(receive_deadline_.due());
    }
  }

  // The bytes the framer holds but has not handed out: the tail of (pending_ + chunk). Only
  // kept so a framing error can be answered from the broken message's head; in the common
  // case (whole messages per read) it stays empty and costs nothing.
  std::string unconsumed_with(std::string_view chunk) const {
    const std::size_t total = pending_.size() + chunk.size();
    const std::size_t skip = total - std::min(framer_.buffered(), total);
    if (skip < pending_.size()) return pending_.substr(skip) + std::string(chunk);
    return std::string(chunk.substr(skip - pending_.size()));
  }

  void keep_unconsumed(std::string_view chunk) {
    const std::size_t total = pending_.size() + chunk.size();
    const std::size_t skip = total - std::min(framer_.buffered(), total);
    if (skip < pending_.size()) {
      pending_.erase(0, skip);
      pending_.append(chunk);
    } else {
      pending_.assign(chunk.substr(skip - pending_.size()));
    }
  }

  // RFC 3261 §18.3: a stream whose framing broke cannot be resynchronised, so it closes; a
  // request we can still read gets its 400 (or 513) first.
  void fail(const sip::ParseError& error, std::string_view unconsumed) {
    std::string reply = stream_error_reply(unconsumed, error, limits_.max_message_size);
    framer_ = sip::StreamFramer(sip::FramerLimits{limits_.max_message_size});
    pending_ = std::string();
    if (reply.empty()) {
      close(error.reason);
      return;
    }
    state_ = State::closing;
    close_reason_ = error.reason;
    queued_bytes_ += reply.size();
    queue_.push_back(std::move(reply));
    arm_deadline(Clock::now() + std::min<Clock::duration>(limits_.handshake_timeout, kLingerLimit));
    write_next();
  }

  void write_next() {
    if (writing_) return;
    if (queue_.empty()) {
      if (state_ == State::closing) half_close();
      return;
    }
    in_flight_ = std::min(queue_.size(), kMaxWriteBatch);
    batch_.clear();
    for (std::size_t i = 0; i < in_flight_; ++i) batch_.push_back(asio::buffer(queue_[i]));
    writing_ = true;
    asio::async_write(stream_, batch_, [this, self = shared_from_this()](const error_code& ec, std::size_t) {
      on_written(ec);
    });
  }

  void on_written(const error_code& ec) {
    writing_ = false;
    if (state_ == State::closed) return;
    if (ec) {
      close(state_ == State::closing ? close_reason_ : "write failed: " + ec.message());
      return;
    }
    last_activity_ = Clock::now();
    for (std::size_t i = 0; i < in_flight_; ++i) {
      queued_bytes_ -= queue_.front().size();
      queue_.pop_front();
    }
    in_flight_ = 0;
    write_next();
  }

  // The error reply is out. Closing now, with the peer's input unread, would send a reset that
  // can destroy the reply before the peer reads it; so send our FIN and keep reading until the
  // peer closes too, or the deadline passes (a lingering close).
  void half_close() {
    if (half_closed_) return;
    half_closed_ = true;
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  ConnectionOwner* owner_;
  StreamLimits limits_;
  Role role_;
  std::string server_name_;
  // Declared before the stream: the SSL object refers to the context, which must outlive it.
  std::shared_ptr<ssl::context> context_;
  Stream stream_;
  asio::steady_timer timer_;
  State state_ = State::idle;
  Clock::time_point deadline_{};
  Clock::time_point last_activity_{};
  std::string close_reason_;
  ReceiveDeadline receive_deadline_;
  bool first_message_reported_ = false;

  sip::StreamFramer framer_;
  std::string pending_;  // the framer's unconsumed bytes, for an error reply (see unconsumed_with)
  std::array<char, kReadSize> read_buffer_{};

  std::deque<std::string> queue_;  // deque: elements stay put while a write refers to them
  std::size_t queued_bytes_ = 0;
  std::vector<asio::const_buffer> batch_;
  std::size_t in_flight_ = 0;
  bool writing_ = false;
  bool half_closed_ = false;
};

}  // namespace

std::shared_ptr<StreamConnection> StreamConnection::accepted_tcp(tcp::socket socket, ConnectionId id,
                                                                 const StreamLimits& limits,
                                                                 ConnectionOwner& owner) {
  const Flow flow = flow_of_accepted(socket, Protocol::tcp, id);
  return std::make_shared<BasicConnection<false>>(std::move(socket), nullptr, Role::server, std::string(),
                                                  flow, limits, owner);
}

std::shared_ptr<StreamConnection> StreamConnection::accepted_tls(tcp::socket socket,
                                                                 std::shared_ptr<ssl::context> context,
                                                                 ConnectionId id, const StreamLimits& limits,
                                                                 ConnectionOwner& owner) {
  const Flow flow = flow_of_accepted(socket, Protocol::tls, id);
  return std::make_shared<BasicConnection<true>>(std::move(socket), std::move(context), Role::server,
                                                 std::string(), flow, limits, owner);
}

std::shared_ptr<StreamConnection> StreamConnection::outbound_tcp(asio::io_context& io_context,
                                                                 const Endpoint& remote, ConnectionId id,
                                                                 const StreamLimits& limits,
                                                                 ConnectionOwner& owner) {
  const Flow flow{Protocol::tcp, remote, {}, id};
  return std::make_shared<BasicConnection<false>>(tcp::socket(io_context), nullptr, Role::client,
                                                  std::string(), flow, limits, owner);
}

std::shared_ptr<StreamConnection> StreamConnection::outbound_tls(asio::io_context& io_context,
                                                                 const Endpoint& remote,
                                                                 std::string server_name,
                                                                 std::shared_ptr<ssl::context> context,
                                                                 ConnectionId id, const StreamLimits& limits,
                                                                 ConnectionOwner& owner) {
  const Flow flow{Protocol::tls, remote, {}, id};
  return std::make_shared<BasicConnection<true>>(tcp::socket(io_context), std::move(context), Role::client,
                                                 std::move(server_name), flow, limits, owner);
}

}  // namespace osprey::net
