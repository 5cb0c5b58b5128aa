// SIP over WebSocket (RFC 7118) through StreamTransport, against a Boost.Beast WebSocket
// client on 127.0.0.1: the upgrade (subprotocol, Origin, method), one SIP message per
// WebSocket message, limits, keep-alive pings, idle and handshake timeouts, per-address
// connection caps, and sending back on the connection. Every wait is bounded.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "net/connection_counter.hpp"
#include "net/connection_directory.hpp"
#include "net/stream_test_support.hpp"
#include "net/stream_transport.hpp"
#include "net/test_pki.hpp"
#include "net/tls_context_store.hpp"

namespace osprey::net {
namespace {

using namespace std::chrono_literals;
using testing::RecordingListener;
using testing::run_for;
using testing::run_until;
using testing::sip_request;
using testing::TcpPeer;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");

// A Beast WebSocket client on the test's io_context: every operation is asynchronous and the
// test runs the loop until it completes, so the server runs meanwhile. The state is shared
// with the handlers, so a client destroyed with a read pending leaves nothing dangling.
template <typename Next>
class WsPeer {
 public:
  struct State {
    template <typename... Args>
    explicit State(std::shared_ptr<void> keep_alive, Args&&... args)
        : keep(std::move(keep_alive)), ws(std::forward<Args>(args)...) {}
    std::shared_ptr<void> keep;  // the TLS context, declared first so it outlives the stream
    websocket::stream<Next> ws;
    websocket::response_type response;
    bool handshake_done = false;
    error_code handshake_error;
    beast::flat_buffer buffer;
    std::vector<std::string> messages;
    std::vector<bool> text_frames;
    std::vector<std::string> pongs;
    bool reading = false;
    bool ended = false;
    error_code read_error;
  };

  template <typename... Args>
  explicit WsPeer(std::shared_ptr<void> keep_alive, Args&&... args)
      : state_(std::make_shared<State>(std::move(keep_alive), std::forward<Args>(args)...)) {}
  ~WsPeer() {
    error_code ignored;
    beast::get_lowest_layer(state_->ws).close(ignored);
  }

  State& state() { return *state_; }
  websocket::stream<Next>& ws() { return state_->ws; }

  // Upgrades an already connected (and, for TLS, handshaken) stream; `protocols` empty: no
  // Sec-WebSocket-Protocol offered. True when the server accepted.
  bool upgrade(asio::io_context& io, const std::string& protocols, const std::string& origin = {}) {
    auto state = state_;
    state->ws.set_option(
        websocket::stream_base::decorator([protocols, origin](websocket::request_type& request) {
          if (!protocols.empty()) request.set(http::field::sec_websocket_protocol, protocols);
          if (!origin.empty()) request.set(http::field::origin, origin);
        }));
    state->ws.async_handshake(state->response, "127.0.0.1", "/", [state](const error_code& ec) {
      state->handshake_done = true;
      state->handshake_error = ec;
    });
    return run_until(io, [state] { return state->handshake_done; }) && !state->handshake_error;
  }

  // Keeps a read pending: control frames are answered only while one is (Beast).
  void start_reading() {
    if (state_->reading) return;
    state_->reading = true;
    state_->ws.control_callback(
        [state = std::weak_ptr<State>(state_)](websocket::frame_type kind, beast::string_view payload) {
          if (auto locked = state.lock(); locked && kind == websocket::frame_type::pong)
            locked->pongs.emplace_back(payload.data(), payload.size());
        });
    read_next(state_);
  }

  bool send(asio::io_context& io, const std::string& bytes, bool text = true) {
    auto state = state_;
    auto done = std::make_shared<std::optional<error_code>>();
    auto data = std::make_shared<std::string>(bytes);
    state->ws.text(text);
    state->ws.async_write(asio::buffer(*data),
                          [done, data](const error_code& ec, std::size_t) { *done = ec; });
    return run_until(io, [done] { return done->has_value(); }) && !**done;
  }

  // One message in two frames (RFC 6455 §5.4 fragmentation).
  bool send_fragmented(asio::io_context& io, const std::string& bytes) {
    auto state = state_;
    auto data = std::make_shared<std::string>(bytes);
    const std::size_t half = bytes.size() / 2;
    auto first = std::make_shared<std::optional<error_code>>();
    state->ws.async_write_some(false, asio::buffer(data->data(), half),
                               [first, data](const error_code& ec, std::size_t) { *first = ec; });
    if (!run_until(io, [first] { return first->has_value(); }) || **first) return false;
    auto second = std::make_shared<std::optional<error_code>>();
    state->ws.async_write_some(true, asio::buffer(data->data() + half, bytes.size() - half),
                               [second, data](const error_code& ec, std::size_t) { *second = ec; });
    return run_until(io, [second] { return second->has_value(); }) && !**second;
  }

  bool ping(asio::io_context& io, const std::string& payload) {
    auto state = state_;
    auto done = std::make_shared<std::optional<error_code>>();
    state->ws.async_ping(websocket::ping_data(payload.c_str()), [done](const error_code& ec) { *done = ec; });
    return run_until(io, [done] { return done->has_value(); }) && !**done;
  }

 private:
  static void read_next(const std::shared_ptr<State>& state) {
    state->ws.async_read(state->buffer, [state](const error_code& ec, std::size_t) {
      if (ec) {
        state->ended = true;
        state->read_error = ec;
        return;
      }
      state->messages.push_back(beast::buffers_to_string(state->buffer.data()));
      state->text_frames.push_back(state->ws.got_text());
      state->buffer.clear();
      read_next(state);
    });
  }

  std::shared_ptr<State> state_;
};

using PlainPeer = WsPeer<tcp::socket>;

struct Node {
  Node(asio::io_context& io, spdlog::logger& logger, ConnectionCounter& counter, StreamLimits limits,
       std::shared_ptr<TlsContextStore> tls = nullptr)
      : transport(io, listener, limits, counter, std::move(tls), logger) {}
  RecordingListener listener;
  StreamTransport transport;
};

class WebSocketTransportTest : public ::testing::Test {
 protected:
  // A node with a ws listener; `policy` as the `[websocket]` settings would give it.
  std::unique_ptr<Node> make_node(StreamLimits limits = {}, WebSocketPolicy policy = {},
                                  ConnectionCounter* counter = nullptr) {
    auto node = std::make_unique<Node>(io_, *logger_, counter != nullptr ? *counter : counter_, limits);
    node->transport.set_websocket_policy(std::move(policy));
    auto bound = node->transport.listen(Protocol::ws, {kLoopback, 0});
    EXPECT_TRUE(bound) << bound.error();
    if (bound) bound_ = *bound;
    return node;
  }

  // A client connected over TCP, not upgraded yet.
  std::unique_ptr<PlainPeer> connect() {
    auto peer = std::make_unique<PlainPeer>(nullptr, io_);
    error_code ec;
    beast::get_lowest_layer(peer->ws()).connect(tcp::endpoint(bound_.address, bound_.port), ec);
    EXPECT_FALSE(ec) << ec.message();
    return peer;
  }

  // A client that connected and upgraded with the sip subprotocol, reading.
  std::unique_ptr<PlainPeer> open() {
    auto peer = connect();
    EXPECT_TRUE(peer->upgrade(io_, "sip")) << peer->state().handshake_error.message();
    peer->start_reading();
    return peer;
  }

  static std::size_t closed_count(const RecordingListener& listener) { return listener.closed.size(); }

  asio::io_context io_;
  std::shared_ptr<spdlog::logger> logger_ = testing::test_logger();
  ConnectionCounter counter_{100, 10};
  Endpoint bound_;
};

TEST_F(WebSocketTransportTest, UpgradeSelectsTheSipSubprotocol) {
  auto node = make_node();
  EXPECT_EQ(node->transport.listening(Protocol::ws, kLoopback), bound_);
  auto peer = connect();
  ASSERT_TRUE(peer->upgrade(io_, "chat, sip")) << peer->state().handshake_error.message();
  // RFC 7118 §4.1: the server selects `sip`; a client such as the `ws` package aborts without it.
  EXPECT_EQ(peer->state().response[http::field::sec_websocket_protocol], "sip");
}

TEST_F(WebSocketTransportTest, UpgradeWithoutTheSipSubprotocolIsRefused) {
  auto node = make_node();
  auto none = connect();
  EXPECT_FALSE(none->upgrade(io_, ""));
  EXPECT_EQ(none->state().response.result_int(), 400u);
  auto other = connect();
  EXPECT_FALSE(other->upgrade(io_, "chat, sipx"));
  EXPECT_EQ(other->state().response.result_int(), 400u);
  ASSERT_TRUE(run_until(io_, [&] { return node->transport.connection_count() == 0; }));
  EXPECT_TRUE(node->listener.messages.empty());
}

TEST_F(WebSocketTransportTest, OriginMustBeListedWhenSent) {
  auto node = make_node({}, WebSocketPolicy{{"https://phone.example.com"}});
  auto foreign = connect();
  EXPECT_FALSE(foreign->upgrade(io_, "sip", "https://evil.example"));
  EXPECT_EQ(foreign->state().response.result_int(), 403u);
  auto listed = connect();
  EXPECT_TRUE(listed->upgrade(io_, "sip", "https://Phone.Example.com"));
  // No Origin: not a browser page; the policy does not judge it.
  auto tool = connect();
  EXPECT_TRUE(tool->upgrade(io_, "sip"));
}

TEST_F(WebSocketTransportTest, DefaultPolicyRefusesEveryBrowserPage) {
  auto node = make_node();
  auto page = connect();
  EXPECT_FALSE(page->upgrade(io_, "sip", "https://phone.example.com"));
  EXPECT_EQ(page->state().response.result_int(), 403u);
}

TEST_F(WebSocketTransportTest, OnlyAWebSocketGetIsUpgraded) {
  auto node = make_node();
  TcpPeer post(io_);
  ASSERT_TRUE(post.connect(bound_));
  post.write(
      "POST / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: sip\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(run_until(io_, [&] { return post.ended(); }));
  EXPECT_EQ(post.received().rfind("HTTP/1.1 405", 0), 0u) << post.received();
  TcpPeer plain(io_);
  ASSERT_TRUE(plain.connect(bound_));
  plain.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(run_until(io_, [&] { return plain.ended(); }));
  EXPECT_EQ(plain.received().rfind("HTTP/1.1 426", 0), 0u) << plain.received();
  // SIP spoken straight at the WebSocket port is not an upgrade either.
  TcpPeer sip(io_);
  ASSERT_TRUE(sip.connect(bound_));
  sip.write(sip_request("raw"));
  ASSERT_TRUE(run_until(io_, [&] { return sip.ended(); }));
  EXPECT_EQ(sip.received().rfind("HTTP/1.1 ", 0), 0u) << sip.received();
  EXPECT_TRUE(node->listener.messages.empty());
}

TEST_F(WebSocketTransportTest, EachWebSocketMessageIsOneSipMessageWithItsFlow) {
  auto node = make_node();
  auto peer = open();
  const std::string first = sip_request("ws-one");
  const std::string second = sip_request("ws-two", "hello");
  ASSERT_TRUE(peer->send(io_, first));
  ASSERT_TRUE(peer->send(io_, second, false));  // binary frames carry SIP too (RFC 7118 §4.2)
  ASSERT_TRUE(peer->send_fragmented(io_, first));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 3; }));
  const auto& messages = node->listener.messages;
  EXPECT_EQ(messages[0].bytes, first);
  EXPECT_EQ(messages[1].bytes, second);
  EXPECT_EQ(messages[2].bytes, first);
  for (const auto& message : messages) {
    EXPECT_EQ(message.flow.protocol, Protocol::ws);
    EXPECT_EQ(message.flow.remote,
              testing::to_endpoint(beast::get_lowest_layer(peer->ws()).local_endpoint()));
    EXPECT_EQ(message.flow.local, bound_);
    EXPECT_NE(message.flow.connection, 0u);
  }
}

TEST_F(WebSocketTransportTest, RepliesGoBackOnTheSameConnectionAndNoneIsOpenedOutward) {
  auto node = make_node();
  auto peer = open();
  ASSERT_TRUE(peer->send(io_, sip_request("reply")));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 1; }));
  const Flow flow = node->listener.messages[0].flow;
  EXPECT_TRUE(node->transport.has_connection(Protocol::ws, flow.remote));
  EXPECT_TRUE(node->transport.connection_open(Protocol::ws, flow.remote, flow.connection));
  EXPECT_FALSE(node->transport.connection_open(Protocol::tcp, flow.remote, flow.connection));

  ASSERT_TRUE(node->transport.send(flow, "SIP/2.0 200 OK\r\n\r\n"));
  // The peer's own flow may carry a request to it (RFC 5626 §5.3) ...
  auto reused =
      node->transport.send_to(Protocol::ws, flow.remote, "MESSAGE x\r\n\r\n", {}, ConnectionReuse::peer_flow);
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->connection, flow.connection);
  // ... but nothing else: osprey never opens a WebSocket connection.
  EXPECT_FALSE(node->transport.send_to(Protocol::ws, flow.remote, "x", {}, ConnectionReuse::outbound_only));
  ASSERT_TRUE(run_until(io_, [&] { return peer->state().messages.size() == 2; }));
  EXPECT_EQ(peer->state().messages[0], "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_TRUE(peer->state().text_frames[0]);  // valid UTF-8 goes as text (RFC 6455 §5.6)
  EXPECT_EQ(peer->state().messages[1], "MESSAGE x\r\n\r\n");

  // Not UTF-8: a binary frame, so a browser does not fail the connection (RFC 6455 §8.1).
  ASSERT_TRUE(node->transport.send(flow, std::string("SIP/2.0 200 OK\r\n\r\n\xff\xfe", 21)));
  ASSERT_TRUE(run_until(io_, [&] { return peer->state().messages.size() == 3; }));
  EXPECT_FALSE(peer->state().text_frames[2]);

  peer.reset();  // the client goes away: the connection closes and is reported
  ASSERT_TRUE(run_until(io_, [&] { return closed_count(node->listener) == 1; }));
  EXPECT_EQ(node->listener.closed[0], flow.connection);
  EXPECT_FALSE(node->transport.connection_open(Protocol::ws, flow.remote, flow.connection));
  EXPECT_FALSE(node->transport.send_to(Protocol::ws, flow.remote, "x", {}, ConnectionReuse::peer_flow));
}

TEST_F(WebSocketTransportTest, DoubleCrlfKeepAliveIsAnsweredAndNotDelivered) {
  auto node = make_node();
  auto peer = open();
  ASSERT_TRUE(peer->send(io_, "\r\n\r\n"));
  ASSERT_TRUE(run_until(io_, [&] { return peer->state().messages.size() == 1; }));
  EXPECT_EQ(peer->state().messages[0], "\r\n");  // RFC 5626 §3.5.1
  EXPECT_TRUE(node->listener.messages.empty());
}

TEST_F(WebSocketTransportTest, OversizeMessageClosesTheConnection) {
  StreamLimits limits;
  limits.max_message_size = 1000;
  auto node = make_node(limits);
  auto peer = open();
  peer->send(io_, sip_request("big", std::string(2000, 'x')));
  ASSERT_TRUE(run_until(io_, [&] { return peer->state().ended; }));
  // RFC 6455 §7.4.1: 1009, the message is too big to process.
  EXPECT_EQ(peer->ws().reason().code, websocket::close_code::too_big);
  ASSERT_TRUE(run_until(io_, [&] { return closed_count(node->listener) == 1; }));
  EXPECT_TRUE(node->listener.messages.empty());
}

TEST_F(WebSocketTransportTest, PingIsAnswered) {
  auto node = make_node();
  auto peer = open();
  ASSERT_TRUE(peer->ping(io_, "are-you-there"));
  ASSERT_TRUE(run_until(io_, [&] { return !peer->state().pongs.empty(); }));
  EXPECT_EQ(peer->state().pongs[0], "are-you-there");
}

TEST_F(WebSocketTransportTest, IdleClientIsPingedAndKeptWhileItAnswers) {
  StreamLimits limits;
  limits.idle_timeout = 1s;
  auto node = make_node(limits);
  auto answering = open();  // a read is pending, so Beast answers the server's pings
  ASSERT_TRUE(answering->send(io_, sip_request("alive")));
  auto silent = connect();  // never reads after the upgrade: never answers a ping
  ASSERT_TRUE(silent->upgrade(io_, "sip"));
  ASSERT_TRUE(silent->send(io_, sip_request("silent")));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 2; }));
  const ConnectionId silent_id = node->listener.messages[1].flow.connection;
  ASSERT_TRUE(run_until(
      io_, [&] { return closed_count(node->listener) == 1; }, 4s));
  EXPECT_EQ(node->listener.closed[0], silent_id);
  run_for(io_, 1500ms);  // well past the idle timeout: the answering client is still there
  EXPECT_EQ(closed_count(node->listener), 1u);
  EXPECT_FALSE(answering->state().ended);
}

TEST_F(WebSocketTransportTest, ConnectionThatNeverUpgradesIsClosedAfterTheHandshakeTimeout) {
  StreamLimits limits;
  limits.handshake_timeout = 1s;
  auto node = make_node(limits);
  TcpPeer idle(io_);
  ASSERT_TRUE(idle.connect(bound_));
  idle.write("GET / HTTP/1.1\r\n");  // half a request, then nothing
  ASSERT_TRUE(run_until(
      io_, [&] { return idle.ended(); }, 3s));
  EXPECT_EQ(node->transport.connection_count(), 0u);
}

TEST_F(WebSocketTransportTest, UpgradedConnectionMustDeliverAMessageInTime) {
  StreamLimits limits;
  limits.first_message_timeout = 1s;
  auto node = make_node(limits);
  auto peer = open();  // upgraded, answers pings, but never sends SIP
  ASSERT_TRUE(run_until(
      io_, [&] { return closed_count(node->listener) == 1; }, 3s));
}

TEST_F(WebSocketTransportTest, ConnectionsAreCountedAndCappedPerAddress) {
  ConnectionCounter two_per_address(100, 2);
  auto node = make_node({}, {}, &two_per_address);
  auto first = open();
  auto second = open();
  auto third = connect();
  EXPECT_FALSE(third->upgrade(io_, "sip"));  // the third from 127.0.0.1 is closed at accept
  EXPECT_EQ(node->transport.connection_count(), 2u);
  EXPECT_EQ(two_per_address.total(), 2u);
  first.reset();
  ASSERT_TRUE(run_until(io_, [&] { return two_per_address.total() == 1; }));
  auto fourth = open();  // the slot came back
  EXPECT_FALSE(fourth->state().handshake_error);
}

TEST_F(WebSocketTransportTest, WssUpgradesOverTlsWithTheStoreCertificate) {
  testing::TestPki pki;
  ASSERT_TRUE(pki.make_ca("ca"));
  ASSERT_TRUE(pki.make_leaf("ca", "server", "wss.osprey.test", 4242));
  TlsFiles files;
  files.certificate = pki.certificate("server");
  files.private_key = pki.key("server");
  auto store = TlsContextStore::create(files);
  ASSERT_TRUE(store) << store.error();
  Node node(io_, *logger_, counter_, {}, *store);
  const auto bound = node.transport.listen(Protocol::wss, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();

  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->load_verify_file(pki.certificate("ca").string());
  context->set_verify_mode(ssl::verify_peer);
  ssl::context& context_ref = *context;
  WsPeer<beast::ssl_stream<tcp::socket>> peer(context, io_, context_ref);
  error_code ec;
  beast::get_lowest_layer(peer.ws()).connect(tcp::endpoint(bound->address, bound->port), ec);
  ASSERT_FALSE(ec);
  auto done = std::make_shared<std::optional<error_code>>();
  peer.ws().next_layer().async_handshake(ssl::stream_base::client,
                                         [done](const error_code& result) { *done = result; });
  ASSERT_TRUE(run_until(io_, [done] { return done->has_value(); }));
  ASSERT_FALSE(**done) << (*done)->message();
  ASSERT_TRUE(peer.upgrade(io_, "sip")) << peer.state().handshake_error.message();
  peer.start_reading();
  ASSERT_TRUE(peer.send(io_, sip_request("wss")));
  ASSERT_TRUE(run_until(io_, [&] { return node.listener.messages.size() == 1; }));
  const Flow flow = node.listener.messages[0].flow;
  EXPECT_EQ(flow.protocol, Protocol::wss);
  ASSERT_TRUE(node.transport.send(flow, "SIP/2.0 200 OK\r\n\r\n"));
  ASSERT_TRUE(run_until(io_, [&] { return peer.state().messages.size() == 1; }));
  EXPECT_EQ(peer.state().messages[0], "SIP/2.0 200 OK\r\n\r\n");
}

// Two workers sharing a ConnectionDirectory: a WebSocket connection one of them accepted is
// the other's way to that peer too (RFC 3261 §18.2.2, RFC 5626 §5.3), and neither opens a new
// one once it is gone.
TEST_F(WebSocketTransportTest, AnotherWorkerSendsOverTheConnection) {
  ConnectionDirectory directory;
  RecordingListener first_listener;
  RecordingListener second_listener;
  StreamTransport first(io_, first_listener, {}, counter_, nullptr, *logger_, &directory);
  StreamTransport second(io_, second_listener, {}, counter_, nullptr, *logger_, &directory);
  auto bound = first.listen(Protocol::ws, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();
  bound_ = *bound;
  auto peer = open();
  ASSERT_TRUE(peer->send(io_, sip_request("register")));
  ASSERT_TRUE(run_until(io_, [&] { return first_listener.messages.size() == 1; }));
  const Flow flow = first_listener.messages[0].flow;

  EXPECT_TRUE(second.has_connection(Protocol::ws, flow.remote));
  EXPECT_TRUE(second.connection_open(Protocol::ws, flow.remote, flow.connection));
  const auto handed =
      second.send_to(Protocol::ws, flow.remote, "MESSAGE one\r\n\r\n", {}, ConnectionReuse::peer_flow);
  ASSERT_TRUE(handed);
  EXPECT_EQ(handed->connection, flow.connection);
  EXPECT_TRUE(second.send(flow, "SIP/2.0 200 OK\r\n\r\n"));
  ASSERT_TRUE(run_until(io_, [&] { return peer->state().messages.size() == 2; }));
  EXPECT_EQ(peer->state().messages[0], "MESSAGE one\r\n\r\n");
  EXPECT_EQ(second.connection_count(), 0u);

  peer.reset();
  ASSERT_TRUE(run_until(io_, [&] { return first_listener.closed.size() == 1; }));
  EXPECT_FALSE(second.connection_open(Protocol::ws, flow.remote, flow.connection));
  EXPECT_FALSE(second.send_to(Protocol::ws, flow.remote, "x", {}, ConnectionReuse::peer_flow));
  run_for(io_, 50ms);
  EXPECT_EQ(second.connection_count(), 0u);
  EXPECT_EQ(first.connection_count(), 0u);
}

// The client side, as osprey's tools use it, against the server side.
TEST_F(WebSocketTransportTest, ToolsTransportConnectsOutAndExchangesMessages) {
  auto server = make_node();
  RecordingListener client_listener;
  StreamTransport client(io_, client_listener, {}, counter_, nullptr, *logger_);
  EXPECT_FALSE(client.send_to(Protocol::ws, bound_, sip_request("refused"), {}));  // not allowed yet
  client.allow_outbound_websocket();
  auto flow = client.send_to(Protocol::ws, bound_, sip_request("tool"), {});
  ASSERT_TRUE(flow);
  ASSERT_TRUE(run_until(io_, [&] { return server->listener.messages.size() == 1; }));
  EXPECT_EQ(server->listener.messages[0].bytes, sip_request("tool"));
  ASSERT_TRUE(server->transport.send(server->listener.messages[0].flow, "SIP/2.0 200 OK\r\n\r\n"));
  ASSERT_TRUE(run_until(io_, [&] { return client_listener.messages.size() == 1; }));
  EXPECT_EQ(client_listener.messages[0].bytes, "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_EQ(client_listener.messages[0].flow.connection, flow->connection);
}

}  // namespace
}  // namespace osprey::net
