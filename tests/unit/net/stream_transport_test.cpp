// StreamTransport over real TCP and TLS sockets on 127.0.0.1 and ::1 (RFC 3261 §18.3, §26;
// RFC 5626 §3.5.1). Every wait is bounded: the io_context runs with a deadline.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>

#include "net/connection_counter.hpp"
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
using testing::TlsPeer;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::size_t closed_count(const RecordingListener& listener, ConnectionId connection) {
  return static_cast<std::size_t>(std::count(listener.closed.begin(), listener.closed.end(), connection));
}

const asio::ip::address kLoopback = asio::ip::make_address("127.0.0.1");
const asio::ip::address kLoopback6 = asio::ip::make_address("::1");

// One transport with its listener, as one worker would have them.
struct Node {
  Node(asio::io_context& io, spdlog::logger& logger, ConnectionCounter& counter, StreamLimits limits = {},
       std::shared_ptr<TlsContextStore> tls = nullptr)
      : transport(io, listener, limits, counter, std::move(tls), logger) {}
  RecordingListener listener;
  StreamTransport transport;
};

class StreamTransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<Node> make_node(StreamLimits limits = {}, std::shared_ptr<TlsContextStore> tls = nullptr) {
    return std::make_unique<Node>(io_, *logger_, counter_, limits, std::move(tls));
  }
  // A port nothing listens on: bound, then closed.
  std::uint16_t closed_port() {
    tcp::acceptor acceptor(io_, tcp::endpoint(kLoopback, 0));
    const std::uint16_t port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
  }

  asio::io_context io_;
  std::shared_ptr<spdlog::logger> logger_ = testing::test_logger();
  ConnectionCounter counter_{100, 10};
};

TEST_F(StreamTransportTest, ListenBindsAnEphemeralPortAndReportsIt) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();
  EXPECT_EQ(bound->address, kLoopback);
  EXPECT_NE(bound->port, 0);
  EXPECT_EQ(node->transport.listening(Protocol::tcp, kLoopback), *bound);
  EXPECT_FALSE(node->transport.listening(Protocol::tcp, kLoopback6));
  EXPECT_FALSE(node->transport.listening(Protocol::tls, kLoopback));
  EXPECT_FALSE(node->transport.listen(Protocol::udp, {kLoopback, 0}));
  EXPECT_FALSE(node->transport.listen(Protocol::tls, {kLoopback, 0}));  // no TLS store
}

TEST_F(StreamTransportTest, EveryWorkerCanBindTheSameAddress) {
  auto first = make_node();
  auto second = make_node();
  auto bound = first->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();
  auto again = second->transport.listen(Protocol::tcp, *bound);  // SO_REUSEPORT
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(*again, *bound);
}

TEST_F(StreamTransportTest, PipelinedAndSplitMessagesArriveWithTheirFlow) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));

  const std::string first = sip_request("one");
  const std::string second = sip_request("two", "hello");
  const std::string third = sip_request("three", "a body split over three writes");
  client.write(first + second);
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 2; }));
  client.write(third.substr(0, 10));
  run_for(io_, 30ms);
  client.write(third.substr(10, third.size() - 20));
  run_for(io_, 30ms);
  EXPECT_EQ(node->listener.messages.size(), 2u);
  client.write(third.substr(third.size() - 10));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 3; }));

  const auto& messages = node->listener.messages;
  EXPECT_EQ(messages[0].bytes, first);
  EXPECT_EQ(messages[1].bytes, second);
  EXPECT_EQ(messages[2].bytes, third);
  for (const auto& message : messages) {
    EXPECT_EQ(message.flow.protocol, Protocol::tcp);
    EXPECT_EQ(message.flow.remote, client.local());
    EXPECT_EQ(message.flow.local, *bound);
    EXPECT_EQ(message.flow.connection, 1u);
  }
  const auto flow = node->transport.flow_of(1);
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->remote, client.local());
  EXPECT_EQ(node->transport.connection_count(), 1u);
  EXPECT_EQ(counter_.total(), 1u);
}

TEST_F(StreamTransportTest, KeepAlivePingIsAnsweredWithCrlf) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  client.write("\r\n\r\n");  // RFC 5626 §3.5.1
  ASSERT_TRUE(run_until(io_, [&] { return client.received() == "\r\n"; }));
  client.write("\r\n");  // a pong is taken silently
  client.write(sip_request("after-ping"));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 1; }));
  EXPECT_EQ(node->listener.messages[0].bytes, sip_request("after-ping"));
  EXPECT_EQ(client.received(), "\r\n");
  EXPECT_FALSE(client.ended());
}

TEST_F(StreamTransportTest, GarbageClosesTheConnectionOnce) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  client.write("this is not SIP at all\r\n\r\n");
  ASSERT_TRUE(run_until(io_, [&] { return client.ended(); }));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.closed.size() == 1; }));
  run_for(io_, 50ms);
  EXPECT_EQ(closed_count(node->listener, 1), 1u);
  EXPECT_EQ(node->listener.closed.size(), 1u);
  EXPECT_TRUE(node->listener.messages.empty());
  EXPECT_EQ(client.received(), "");  // not a request: no answer
  EXPECT_EQ(node->transport.connection_count(), 0u);
  EXPECT_FALSE(node->transport.flow_of(1));
  EXPECT_FALSE(node->transport.send(1, "late"));
  EXPECT_EQ(counter_.total(), 0u);
}

TEST_F(StreamTransportTest, EndlessHeaderSectionClosesTheConnection) {
  StreamLimits limits;
  limits.max_message_size = 1024;
  auto node = make_node(limits);
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  client.write(std::string(4096, 'x'));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.closed.size() == 1; }));
  ASSERT_TRUE(run_until(io_, [&] { return client.ended(); }));
  EXPECT_EQ(counter_.total(), 0u);
}

TEST_F(StreamTransportTest, RequestWithoutContentLengthGets400ThenClose) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  std::string request = sip_request("nocl");
  request.erase(request.find("Content-Length: 0\r\n"), 19);
  client.write(request);
  ASSERT_TRUE(run_until(io_, [&] { return client.ended(); }));
  EXPECT_EQ(client.received().rfind("SIP/2.0 400 Missing Content-Length on a stream\r\n", 0), 0u)
      << client.received();
  EXPECT_NE(client.received().find("branch=z9hG4bKnocl"), std::string::npos);
  EXPECT_NE(client.received().find("To: <sip:bob@example.com>;tag="), std::string::npos);
  client.close();  // the server lingers after its reply until the peer closes too
  ASSERT_TRUE(run_until(
      io_, [&] { return node->listener.closed.size() == 1; }, 1000ms));
  run_for(io_, 50ms);
  EXPECT_EQ(closed_count(node->listener, 1), 1u);
  EXPECT_TRUE(node->listener.messages.empty());
  EXPECT_EQ(counter_.total(), 0u);
}

TEST_F(StreamTransportTest, OversizedMessageGets513ThenClose) {
  StreamLimits limits;
  limits.max_message_size = 2048;
  auto node = make_node(limits);
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  std::string request = sip_request("big");
  request.replace(request.find("Content-Length: 0"), 17, "Content-Length: 100000");
  client.write(request);
  ASSERT_TRUE(run_until(io_, [&] { return client.ended(); }));
  EXPECT_EQ(client.received().rfind("SIP/2.0 513 ", 0), 0u) << client.received();
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.closed.size() == 1; }));
}

TEST_F(StreamTransportTest, EveryBrokenFramingClosesItsConnectionOnce) {
  StreamLimits limits;
  limits.max_message_size = 4096;
  limits.handshake_timeout = 1s;  // bounds the lingering close after a 400
  auto node = make_node(limits);
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  const std::string valid = sip_request("broken");
  const auto with_length = [&](std::string_view header) {
    std::string request = valid;
    request.replace(request.find("Content-Length: 0"), 17, header);
    return request;
  };
  std::string binary;
  for (int i = 0; i < 5000; ++i) binary.push_back(static_cast<char>((i * 7919) & 0xff));
  const std::vector<std::string> inputs = {
      binary,
      with_length("Content-Length: -1"),
      with_length("Content-Length: 1\r\nContent-Length: 2"),
      with_length("Content-Length: 99999999999999999999"),
      with_length("l: zero"),
      "\r\n\r\n\r\nINVITE\r\n\r\n",
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n\r\n",       // a response: no answer
      "ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n\r\n",  // an ACK: no answer
      std::string(5000, '\r') + "\n",                                       // no header end within the limit
  };
  std::vector<std::unique_ptr<TcpPeer>> clients;
  for (const std::string& input : inputs) {
    clients.push_back(std::make_unique<TcpPeer>(io_));
    ASSERT_TRUE(clients.back()->connect(*bound));
    clients.back()->write(input);
  }
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.closed.size() == inputs.size(); }));
  run_for(io_, 50ms);
  EXPECT_EQ(node->listener.closed.size(), inputs.size());
  for (ConnectionId id = 1; id <= inputs.size(); ++id) EXPECT_EQ(closed_count(node->listener, id), 1u);
  EXPECT_TRUE(node->listener.messages.empty());
  EXPECT_EQ(counter_.total(), 0u);
  for (const auto& client : clients) {
    ASSERT_TRUE(run_until(io_, [&] { return client->ended(); }));
    if (!client->received().empty() && client->received() != "\r\n") {  // "\r\n": the ping's answer
      EXPECT_EQ(client->received().rfind("SIP/2.0 400 ", 0), 0u) << client->received();
    }
  }
  EXPECT_EQ(clients[6]->received(), "");
  EXPECT_EQ(clients[7]->received(), "");
}

TEST_F(StreamTransportTest, PeerVanishingMidWriteClosesOnce) {
  StreamLimits limits;
  limits.max_buffered_bytes = 8 * 1024 * 1024;
  auto node = make_node(limits);
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  {
    TcpPeer client(io_);
    ASSERT_TRUE(client.connect(*bound));
    ASSERT_TRUE(run_until(io_, [&] { return node->transport.connection_count() == 1; }));
    const std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 64; ++i) ASSERT_TRUE(node->transport.send(1, chunk));
    run_for(io_, 20ms);  // the kernel buffers fill; the rest waits in the queue
  }                      // the client goes away without reading
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.closed.size() == 1; }));
  run_for(io_, 50ms);
  EXPECT_EQ(closed_count(node->listener, 1), 1u);
  EXPECT_EQ(node->transport.connection_count(), 0u);
  EXPECT_EQ(counter_.total(), 0u);
}

TEST_F(StreamTransportTest, ThirdConnectionFromOneAddressIsRefused) {
  ConnectionCounter counter(100, 2);
  Node node(io_, *logger_, counter);
  auto bound = node.transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer first(io_);
  TcpPeer second(io_);
  TcpPeer third(io_);
  ASSERT_TRUE(first.connect(*bound));
  ASSERT_TRUE(second.connect(*bound));
  ASSERT_TRUE(run_until(io_, [&] { return node.transport.connection_count() == 2; }));
  ASSERT_TRUE(third.connect(*bound));  // the kernel completes it; osprey closes it on accept
  ASSERT_TRUE(run_until(io_, [&] { return third.ended(); }));
  run_for(io_, 50ms);
  EXPECT_FALSE(first.ended());
  EXPECT_FALSE(second.ended());
  EXPECT_EQ(node.transport.connection_count(), 2u);
  EXPECT_EQ(counter.for_address(kLoopback), 2u);
  EXPECT_TRUE(node.listener.closed.empty());  // a refused connection never had an id

  first.close();  // its slot comes back
  ASSERT_TRUE(run_until(io_, [&] { return node.transport.connection_count() == 1; }));
  TcpPeer fourth(io_);
  ASSERT_TRUE(fourth.connect(*bound));
  fourth.write(sip_request("fourth"));
  ASSERT_TRUE(run_until(io_, [&] { return node.listener.messages.size() == 1; }));
}

TEST_F(StreamTransportTest, IdleConnectionIsClosed) {
  StreamLimits limits;
  limits.idle_timeout = 1s;
  auto node = make_node(limits);
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.connect(*bound));
  ASSERT_TRUE(run_until(
      io_, [&] { return node->listener.closed.size() == 1; }, 5000ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  ASSERT_TRUE(run_until(io_, [&] { return client.ended(); }));
  EXPECT_EQ(closed_count(node->listener, 1), 1u);
  EXPECT_EQ(counter_.total(), 0u);
}

TEST_F(StreamTransportTest, TrafficKeepsAConnectionOpen) {
  StreamLimits limits;
  limits.idle_timeout = 1s;
  auto node = make_node(limits);
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  for (int i = 0; i < 4; ++i) {
    run_for(io_, 400ms);
    client.write("\r\n\r\n");
  }
  run_for(io_, 100ms);
  EXPECT_TRUE(node->listener.closed.empty());
  EXPECT_FALSE(client.ended());
}

// Slow senders (slowloris): 160 addresses x 63 connections sending a byte a second held every
// slot, because only the idle timeout bounded them. Each test here fails without the deadlines.
StreamLimits slow_sender_limits(std::chrono::milliseconds first_message,
                                std::chrono::milliseconds each_message) {
  StreamLimits limits;
  limits.idle_timeout = 300s;
  limits.first_message_timeout = first_message;
  limits.message_timeout = each_message;
  return limits;
}

TEST_F(StreamTransportTest, ASlowFirstMessageIsClosedAtItsDeadline) {
  auto node = make_node(slow_sender_limits(600ms, 10s));
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.connect(*bound));
  const std::string request = sip_request("slow");
  for (std::size_t i = 0; i < request.size() && !client.ended(); ++i) {
    client.write(request.substr(i, 1));  // one byte at a time: every byte is traffic
    run_for(io_, 50ms);
    ASSERT_LT(std::chrono::steady_clock::now() - start, 3000ms) << "still open after " << i << " bytes";
  }
  ASSERT_TRUE(run_until(io_, [&] { return client.ended(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 550ms);
  EXPECT_TRUE(node->listener.messages.empty());
  EXPECT_EQ(closed_count(node->listener, 1), 1u);
  EXPECT_EQ(counter_.total(), 0u);
}

TEST_F(StreamTransportTest, ASilentNewConnectionIsClosedAtTheFirstMessageDeadline) {
  auto node = make_node(slow_sender_limits(500ms, 10s));
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.connect(*bound));
  for (int i = 0; i < 4; ++i) {
    run_for(io_, 100ms);
    client.write("\r\n\r\n");  // keep-alives do not pay for the message owed
  }
  ASSERT_TRUE(run_until(
      io_, [&] { return client.ended(); }, 3000ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 450ms);
}

TEST_F(StreamTransportTest, AfterAMessageOnlyTheIdleTimeoutBoundsTheRestButTheNextMessageHasADeadline) {
  auto node = make_node(slow_sender_limits(10s, 500ms));
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  client.write(sip_request("first"));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 1; }));
  // Resting, with keep-alives, for longer than a message may take: no deadline between messages.
  for (int i = 0; i < 4; ++i) {
    run_for(io_, 250ms);
    client.write("\r\n\r\n");
  }
  run_for(io_, 100ms);
  EXPECT_FALSE(client.ended());
  EXPECT_TRUE(node->listener.closed.empty());
  // A whole message in pieces, in time, is delivered.
  const std::string second = sip_request("second");
  client.write(second.substr(0, 20));
  run_for(io_, 200ms);
  client.write(second.substr(20));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 2; }));
  // The next one trickles: closed 500 ms after its first byte, however steady the trickle.
  const std::string third = sip_request("third");
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < third.size() && !client.ended(); ++i) {
    client.write(third.substr(i, 1));
    run_for(io_, 50ms);
    ASSERT_LT(std::chrono::steady_clock::now() - start, 3000ms) << "still open after " << i << " bytes";
  }
  ASSERT_TRUE(run_until(io_, [&] { return client.ended(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 450ms);
  EXPECT_EQ(node->listener.messages.size(), 2u);
}

TEST_F(StreamTransportTest, ANetworkHoldsNoMoreThanItsShareWhateverItsAddresses) {
  ConnectionCounter counter(ConnectionCaps{100, 2, 3});
  Node node(io_, *logger_, counter);
  auto bound = node.transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  const auto address = [](const char* text) { return asio::ip::make_address(text); };
  TcpPeer first(io_);
  TcpPeer second(io_);
  TcpPeer third(io_);
  ASSERT_TRUE(first.connect(*bound, address("127.0.0.2")));
  ASSERT_TRUE(second.connect(*bound, address("127.0.0.2")));
  ASSERT_TRUE(third.connect(*bound, address("127.0.0.3")));
  ASSERT_TRUE(run_until(io_, [&] { return node.transport.connection_count() == 3; }));
  TcpPeer fourth(io_);
  ASSERT_TRUE(fourth.connect(*bound, address("127.0.0.4")));  // its own first, but the /24's fourth
  ASSERT_TRUE(run_until(io_, [&] { return fourth.ended(); }));
  TcpPeer elsewhere(io_);
  ASSERT_TRUE(elsewhere.connect(*bound, address("127.0.1.4")));  // another /24
  elsewhere.write(sip_request("elsewhere"));
  ASSERT_TRUE(run_until(io_, [&] { return node.listener.messages.size() == 1; }));
  EXPECT_FALSE(first.ended());
  EXPECT_FALSE(third.ended());
  EXPECT_EQ(counter.for_network(address("127.0.0.9")), 3u);
}

TEST_F(StreamTransportTest, NearFullTheOldestConnectionWithoutAMessageMakesRoomForANewClient) {
  ConnectionCounter counter(ConnectionCaps{10, 10, 10});  // shedding above 9
  Node node(io_, *logger_, counter);
  auto bound = node.transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer proven(io_);
  ASSERT_TRUE(proven.connect(*bound));
  proven.write(sip_request("proven"));
  ASSERT_TRUE(run_until(io_, [&] { return node.listener.messages.size() == 1; }));

  // Slow connections, more than there are slots: none is refused, the oldest ones are shed.
  std::vector<std::unique_ptr<TcpPeer>> slow;
  for (int i = 0; i < 15; ++i) {
    slow.push_back(std::make_unique<TcpPeer>(io_));
    ASSERT_TRUE(slow.back()->connect(*bound));
    slow.back()->write("OPTIONS sip:");
    run_for(io_, 20ms);
  }
  ASSERT_TRUE(run_until(io_, [&] { return slow[5]->ended(); }));
  EXPECT_LE(counter.total(), 9u);
  EXPECT_FALSE(slow.back()->ended());

  // A new client still gets in and is heard; the connection that delivered a message stays.
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  client.write(sip_request("new-client"));
  ASSERT_TRUE(run_until(io_, [&] { return node.listener.messages.size() == 2; }));
  proven.write(sip_request("proven-again"));
  ASSERT_TRUE(run_until(io_, [&] { return node.listener.messages.size() == 3; }));
  EXPECT_FALSE(proven.ended());
  EXPECT_FALSE(client.ended());
  EXPECT_EQ(node.listener.messages[1].bytes, sip_request("new-client"));
  // The shed ones went oldest first.
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(slow[i]->ended()) << i;
  EXPECT_FALSE(slow[14]->ended());
}

TEST_F(StreamTransportTest, TheOldestConnectionWithoutAMessageIsShedWhicheverWorkerHoldsIt) {
  // Two workers on one counter. The first holds the old slow connections; the second, with
  // none of its own, must not shed its newest (a new client) but have the first shed its oldest.
  ConnectionCounter counter(ConnectionCaps{10, 10, 10});  // shedding above 9
  Node holder(io_, *logger_, counter);
  Node newcomer(io_, *logger_, counter);
  auto old_port = holder.transport.listen(Protocol::tcp, {kLoopback, 0});
  auto new_port = newcomer.transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(old_port && new_port);
  std::vector<std::unique_ptr<TcpPeer>> slow;
  for (int i = 0; i < 9; ++i) {
    slow.push_back(std::make_unique<TcpPeer>(io_));
    ASSERT_TRUE(slow.back()->connect(*old_port));
    ASSERT_TRUE(run_until(io_, [&] { return holder.transport.connection_count() == slow.size(); }));
  }
  std::vector<std::unique_ptr<TcpPeer>> fresh;
  for (int i = 0; i < 3; ++i) {
    fresh.push_back(std::make_unique<TcpPeer>(io_));
    ASSERT_TRUE(fresh.back()->connect(*new_port));
    fresh.back()->write("OPTIONS sip:");  // not complete yet: unproven too, but young
    ASSERT_TRUE(run_until(io_, [&] { return slow[fresh.size() - 1]->ended(); }));
  }
  run_for(io_, 50ms);
  for (const auto& client : fresh) EXPECT_FALSE(client->ended());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(slow[i]->ended()) << i;
  for (int i = 3; i < 9; ++i) EXPECT_FALSE(slow[i]->ended()) << i;
  EXPECT_EQ(newcomer.transport.connection_count(), 3u);
  EXPECT_EQ(counter.total(), 9u);
  EXPECT_EQ(counter.unproven().size(), 9u);
}

TEST_F(StreamTransportTest, SendReachesTheClient) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  client.write(sip_request("send"));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 1; }));
  const ConnectionId id = node->listener.messages[0].flow.connection;
  const std::string response = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
  EXPECT_TRUE(node->transport.send(id, response));
  EXPECT_TRUE(node->transport.send(id, response));
  ASSERT_TRUE(run_until(io_, [&] { return client.received() == response + response; }));
  EXPECT_FALSE(node->transport.send(id + 1, response));
}

// RFC 5626 §5.3: a binding's flow is the one connection its REGISTER came on, named by its id
// (connection_open); another connection from the same address and port is not it.
TEST_F(StreamTransportTest, HasConnectionWhileTheClientsConnectionIsOpen) {
  // RFC 5626 §5.3 flow reuse: a registered UA's own connection is used while it lasts; after
  // that its Contact is (registrar/binding_hop.hpp).
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  auto client = std::make_unique<TcpPeer>(io_);
  ASSERT_TRUE(client->connect(*bound));
  client->write(sip_request("flow"));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 1; }));
  const Flow flow = node->listener.messages[0].flow;
  const Endpoint remote = flow.remote;
  const Endpoint next_port{kLoopback, static_cast<std::uint16_t>(remote.port + 1)};
  EXPECT_TRUE(node->transport.has_connection(Protocol::tcp, remote));
  EXPECT_FALSE(node->transport.has_connection(Protocol::tls, remote));
  EXPECT_FALSE(node->transport.has_connection(Protocol::tcp, next_port));
  EXPECT_TRUE(node->transport.connection_open(Protocol::tcp, remote, flow.connection));
  EXPECT_FALSE(node->transport.connection_open(Protocol::tcp, remote, flow.connection + 1));
  EXPECT_FALSE(node->transport.connection_open(Protocol::tls, remote, flow.connection));
  EXPECT_FALSE(node->transport.connection_open(Protocol::tcp, next_port, flow.connection));
  EXPECT_FALSE(node->transport.connection_open(Protocol::tcp, remote, 0));
  client.reset();
  ASSERT_TRUE(run_until(io_, [&] { return !node->listener.closed.empty(); }));
  EXPECT_FALSE(node->transport.has_connection(Protocol::tcp, remote));
  EXPECT_FALSE(node->transport.connection_open(Protocol::tcp, remote, flow.connection));
}

// RFC 5923 §5, §11: a connection a client opened carries requests only toward that client's
// own flow (peer_flow, RFC 5626 §5.3); any other request to its address and port (a Contact
// naming them) goes over a connection osprey opens, which an ephemeral port refuses.
TEST_F(StreamTransportTest, SendToUsesAnAcceptedConnectionOnlyForThePeersOwnFlow) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  client.write(sip_request("register"));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 1; }));
  const Flow accepted = node->listener.messages[0].flow;

  const auto steered =
      node->transport.send_to(Protocol::tcp, accepted.remote, "steered", "", ConnectionReuse::outbound_only);
  ASSERT_TRUE(steered);
  EXPECT_NE(steered->connection, accepted.connection);
  EXPECT_EQ(node->transport.connection_count(), 2u);  // a connection of its own, being refused
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.closed.size() == 1; }));
  EXPECT_EQ(node->listener.closed[0], steered->connection);

  const auto own =
      node->transport.send_to(Protocol::tcp, accepted.remote, "own", "", ConnectionReuse::peer_flow);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->connection, accepted.connection);
  ASSERT_TRUE(run_until(io_, [&] { return client.received() == "own"; }));      // never "steered"
  EXPECT_TRUE(node->transport.has_connection(Protocol::tcp, accepted.remote));  // either end's
}

TEST_F(StreamTransportTest, OutputOverTheLimitClosesTheConnection) {
  StreamLimits limits;
  limits.max_buffered_bytes = 1024;
  auto node = make_node(limits);
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  ASSERT_TRUE(run_until(io_, [&] { return node->transport.connection_count() == 1; }));
  EXPECT_FALSE(node->transport.send(1, std::string(2000, 'x')));
  EXPECT_EQ(closed_count(node->listener, 1), 1u);
  EXPECT_FALSE(node->transport.send(1, "x"));
  ASSERT_TRUE(run_until(io_, [&] { return client.ended(); }));
  EXPECT_EQ(client.received(), "");
}

TEST_F(StreamTransportTest, SendToOpensAConnectionAndReusesIt) {
  auto node = make_node();
  tcp::acceptor acceptor(io_, tcp::endpoint(kLoopback, 0));
  const Endpoint destination = testing::to_endpoint(acceptor.local_endpoint());
  std::unique_ptr<TcpPeer> peer;
  acceptor.async_accept([&](const boost::system::error_code& ec, tcp::socket socket) {
    if (!ec) peer = std::make_unique<TcpPeer>(std::move(socket));
  });

  const auto first = node->transport.send_to(Protocol::tcp, destination, "hello-1", "");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->protocol, Protocol::tcp);
  EXPECT_EQ(first->remote, destination);
  EXPECT_NE(first->connection, 0u);
  ASSERT_TRUE(run_until(io_, [&] { return peer && peer->received() == "hello-1"; }));

  const auto second = node->transport.send_to(Protocol::tcp, destination, "hello-2", "");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->connection, first->connection);
  EXPECT_EQ(node->transport.connection_count(), 1u);
  ASSERT_TRUE(run_until(io_, [&] { return peer->received() == "hello-1hello-2"; }));

  // Now connected: the flow knows our end, and what the peer sends comes in on it.
  const auto flow = node->transport.flow_of(first->connection);
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->local.address, kLoopback);
  EXPECT_NE(flow->local.port, 0);
  peer->write(sip_request("back"));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 1; }));
  EXPECT_EQ(node->listener.messages[0].flow.connection, first->connection);
  EXPECT_EQ(node->listener.messages[0].flow.remote, destination);
  EXPECT_FALSE(node->transport.send_to(Protocol::udp, destination, "x", ""));
  EXPECT_FALSE(node->transport.send_to(Protocol::tls, destination, "x", ""));  // no TLS store
}

TEST_F(StreamTransportTest, SendToAClosedPortReportsTheClose) {
  auto node = make_node();
  const Endpoint destination{kLoopback, closed_port()};
  const auto flow = node->transport.send_to(Protocol::tcp, destination, "nobody listens", "");
  ASSERT_TRUE(flow);
  EXPECT_TRUE(node->listener.closed.empty());  // reported later, never from inside send_to
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.closed.size() == 1; }));
  EXPECT_EQ(node->listener.closed[0], flow->connection);
  EXPECT_EQ(node->transport.connection_count(), 0u);
  EXPECT_EQ(counter_.total(), 0u);
}

TEST_F(StreamTransportTest, SendToRespectsTheConnectionLimit) {
  ConnectionCounter counter(100, 1);
  Node node(io_, *logger_, counter);
  const Endpoint first{kLoopback, closed_port()};
  const Endpoint second{kLoopback, static_cast<std::uint16_t>(first.port == 65535 ? 1 : first.port + 1)};
  ASSERT_TRUE(node.transport.send_to(Protocol::tcp, first, "x", ""));
  EXPECT_FALSE(node.transport.send_to(Protocol::tcp, second, "x", ""));
  ASSERT_TRUE(run_until(io_, [&] { return node.listener.closed.size() == 1; }));
}

TEST_F(StreamTransportTest, CloseAllThenDestroyWithHandlersQueued) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  ASSERT_TRUE(run_until(io_, [&] { return node->transport.connection_count() == 1; }));
  client.write(sip_request("queued"));  // its read completes but its handler has not run yet
  const auto outbound = node->transport.send_to(Protocol::tcp, {kLoopback, closed_port()}, "x", "");
  ASSERT_TRUE(outbound);

  node->transport.close_all();
  EXPECT_EQ(node->transport.connection_count(), 0u);
  EXPECT_EQ(node->listener.closed.size(), 2u);
  EXPECT_FALSE(node->transport.listening(Protocol::tcp, kLoopback));
  EXPECT_FALSE(node->transport.send(1, "x"));
  node.reset();
  run_for(io_, 100ms);  // the aborted handlers run now and must touch nothing that is gone
  EXPECT_EQ(counter_.total(), 0u);
  ASSERT_TRUE(run_until(io_, [&] { return client.ended(); }));
}

TEST_F(StreamTransportTest, DestroyWithOpenConnectionsGivesTheirSlotsBack) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback, 0});
  ASSERT_TRUE(bound);
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  ASSERT_TRUE(run_until(io_, [&] { return node->transport.connection_count() == 1; }));
  TcpPeer late(io_);
  ASSERT_TRUE(late.connect(*bound));  // accepted by the kernel, its handler still queued
  node.reset();
  EXPECT_EQ(counter_.total(), 0u);
  run_for(io_, 100ms);
  EXPECT_EQ(counter_.total(), 0u);
  ASSERT_TRUE(run_until(io_, [&] { return client.ended() && late.ended(); }));
}

TEST_F(StreamTransportTest, Ipv6ListenerTakesIpv6Peers) {
  auto node = make_node();
  auto bound = node->transport.listen(Protocol::tcp, {kLoopback6, 0});
  if (!bound) GTEST_SKIP() << "no IPv6 loopback: " << bound.error();
  EXPECT_EQ(node->transport.listening(Protocol::tcp, kLoopback6), *bound);
  EXPECT_FALSE(node->transport.listening(Protocol::tcp, kLoopback));
  TcpPeer client(io_);
  ASSERT_TRUE(client.connect(*bound));
  client.write(sip_request("v6"));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 1; }));
  EXPECT_EQ(node->listener.messages[0].flow.remote, client.local());
  EXPECT_TRUE(node->listener.messages[0].flow.remote.address.is_v6());
}

// TLS: a CA, server certificates for localhost / 127.0.0.1 / ::1 from it, and a second CA
// whose certificate nothing trusts.
class StreamTransportTlsTest : public StreamTransportTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok());
    ASSERT_TRUE(pki_.make_ca("ca"));
    ASSERT_TRUE(pki_.make_leaf("ca", "first", "first.osprey.test", 1001));
    ASSERT_TRUE(pki_.make_leaf("ca", "second", "second-certificate.osprey.test", 2002));
    ASSERT_TRUE(pki_.make_ca("rogue-ca"));
    ASSERT_TRUE(pki_.make_leaf("rogue-ca", "rogue", "rogue.osprey.test", 6666));
    // The server's files, replaced in place by the reload test.
    std::filesystem::copy_file(pki_.certificate("first"), pki_.dir() / "server.crt");
    std::filesystem::copy_file(pki_.key("first"), pki_.dir() / "server.key");
  }

  std::shared_ptr<TlsContextStore> store(std::string_view leaf = {}) {
    TlsFiles files;
    files.certificate = leaf.empty() ? pki_.dir() / "server.crt" : pki_.certificate(leaf);
    files.private_key = leaf.empty() ? pki_.dir() / "server.key" : pki_.key(leaf);
    files.ca_file = pki_.certificate("ca");
    auto created = TlsContextStore::create(files);
    EXPECT_TRUE(created) << created.error();
    return created ? *created : nullptr;
  }

  testing::TestPki pki_;
};

TEST_F(StreamTransportTlsTest, TlsClientHandshakesAndExchangesMessages) {
  auto node = make_node({}, store());
  auto bound = node->transport.listen(Protocol::tls, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();
  EXPECT_EQ(node->transport.listening(Protocol::tls, kLoopback), *bound);
  TlsPeer client(io_, pki_.certificate("ca"));
  ASSERT_TRUE(client.connect(io_, *bound));
  EXPECT_EQ(client.peer_serial(), 1001);
  client.write(io_, sip_request("tls-one") + sip_request("tls-two"));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 2; }));
  const Flow& flow = node->listener.messages[0].flow;
  EXPECT_EQ(flow.protocol, Protocol::tls);
  EXPECT_EQ(flow.local, *bound);
  EXPECT_EQ(node->listener.messages[1].bytes, sip_request("tls-two"));
  const std::string response = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
  EXPECT_TRUE(node->transport.send(flow.connection, response));
  ASSERT_TRUE(run_until(io_, [&] { return client.received() == response; }));
  client.write(io_, "\r\n\r\n");  // RFC 5626 §3.5.1 over TLS too
  ASSERT_TRUE(run_until(io_, [&] { return client.received() == response + "\r\n"; }));
}

TEST_F(StreamTransportTlsTest, SendToTlsVerifiesTheServerNameAndTheAddress) {
  auto server = make_node({}, store());
  auto bound = server->transport.listen(Protocol::tls, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();

  auto by_name = make_node({}, store("second"));
  const auto flow = by_name->transport.send_to(Protocol::tls, *bound, sip_request("by-name"), "localhost");
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->protocol, Protocol::tls);
  ASSERT_TRUE(run_until(io_, [&] { return server->listener.messages.size() == 1; }));
  EXPECT_EQ(server->listener.messages[0].bytes, sip_request("by-name"));
  EXPECT_EQ(server->listener.messages[0].flow.protocol, Protocol::tls);
  // The answer comes back on the same connection.
  EXPECT_TRUE(server->transport.send(server->listener.messages[0].flow.connection, sip_request("answer")));
  ASSERT_TRUE(run_until(io_, [&] { return by_name->listener.messages.size() == 1; }));
  EXPECT_EQ(by_name->listener.messages[0].flow.connection, flow->connection);

  auto by_address = make_node({}, store("second"));
  ASSERT_TRUE(by_address->transport.send_to(Protocol::tls, *bound, sip_request("by-address"), ""));
  ASSERT_TRUE(run_until(io_, [&] { return server->listener.messages.size() == 2; }));

  auto wrong_name = make_node({}, store("second"));
  const auto refused =
      wrong_name->transport.send_to(Protocol::tls, *bound, sip_request("wrong"), "sip.example.com");
  ASSERT_TRUE(refused);
  ASSERT_TRUE(run_until(io_, [&] { return wrong_name->listener.closed.size() == 1; }));
  EXPECT_EQ(wrong_name->listener.closed[0], refused->connection);
  run_for(io_, 50ms);
  EXPECT_EQ(server->listener.messages.size(), 2u);
}

TEST_F(StreamTransportTlsTest, SendToTlsRefusesACertificateFromAnotherCa) {
  auto rogue = make_node({}, store("rogue"));
  auto bound = rogue->transport.listen(Protocol::tls, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();
  auto client = make_node({}, store());
  const auto flow = client->transport.send_to(Protocol::tls, *bound, sip_request("rogue"), "localhost");
  ASSERT_TRUE(flow);
  ASSERT_TRUE(run_until(io_, [&] { return client->listener.closed.size() == 1; }));
  EXPECT_EQ(client->listener.closed[0], flow->connection);
  EXPECT_EQ(client->transport.connection_count(), 0u);
  ASSERT_TRUE(
      run_until(io_, [&] { return rogue->listener.closed.size() == 1; }));  // its handshake failed too
  EXPECT_TRUE(rogue->listener.messages.empty());
}

TEST_F(StreamTransportTlsTest, HandshakeGarbageAndSilenceAreClosed) {
  StreamLimits limits;
  limits.handshake_timeout = 1s;
  auto node = make_node(limits, store());
  auto bound = node->transport.listen(Protocol::tls, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();
  TcpPeer garbage(io_);
  ASSERT_TRUE(garbage.connect(*bound));
  garbage.write("OPTIONS sip:bob@example.com SIP/2.0\r\n\r\n");  // plain SIP on the TLS port
  ASSERT_TRUE(run_until(io_, [&] { return garbage.ended(); }));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.closed.size() == 1; }));

  TcpPeer silent(io_);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(silent.connect(*bound));
  ASSERT_TRUE(run_until(
      io_, [&] { return silent.ended(); }, 5000ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.closed.size() == 2; }));
  EXPECT_TRUE(node->listener.messages.empty());
  EXPECT_EQ(counter_.total(), 0u);
}

TEST_F(StreamTransportTlsTest, TheFirstMessageDeadlineIncludesTheHandshake) {
  StreamLimits limits = slow_sender_limits(600ms, 10s);
  limits.handshake_timeout = 10s;
  auto node = make_node(limits, store());
  auto bound = node->transport.listen(Protocol::tls, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();
  TcpPeer silent(io_);  // never starts the handshake
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(silent.connect(*bound));
  ASSERT_TRUE(run_until(
      io_, [&] { return silent.ended(); }, 3000ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 550ms);

  TlsPeer quiet(io_, pki_.certificate("ca"));  // handshakes, then sends nothing
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(quiet.connect(io_, *bound));
  ASSERT_TRUE(run_until(
      io_, [&] { return node->listener.closed.size() == 2; }, 3000ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 550ms);
  EXPECT_TRUE(node->listener.messages.empty());
}

TEST_F(StreamTransportTlsTest, ReloadServesTheNewCertificateToNewConnectionsOnly) {
  auto tls = store();
  auto node = make_node({}, tls);
  auto bound = node->transport.listen(Protocol::tls, {kLoopback, 0});
  ASSERT_TRUE(bound) << bound.error();
  TlsPeer before(io_, pki_.certificate("ca"));
  ASSERT_TRUE(before.connect(io_, *bound));
  EXPECT_EQ(before.peer_serial(), 1001);
  EXPECT_NE(before.peer_subject().find("first.osprey.test"), std::string::npos);

  auto unchanged = tls->reload(false);
  ASSERT_TRUE(unchanged) << unchanged.error();
  EXPECT_FALSE(*unchanged);

  std::filesystem::copy_file(pki_.certificate("second"), pki_.dir() / "server.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(pki_.key("second"), pki_.dir() / "server.key",
                             std::filesystem::copy_options::overwrite_existing);
  auto reloaded = tls->reload(false);
  ASSERT_TRUE(reloaded) << reloaded.error();
  EXPECT_TRUE(*reloaded);

  TlsPeer after(io_, pki_.certificate("ca"));
  ASSERT_TRUE(after.connect(io_, *bound));
  EXPECT_EQ(after.peer_serial(), 2002);
  EXPECT_NE(after.peer_subject().find("second-certificate.osprey.test"), std::string::npos);

  // The connection from before the reload still carries messages both ways.
  before.write(io_, sip_request("still-open"));
  ASSERT_TRUE(run_until(io_, [&] { return node->listener.messages.size() == 1; }));
  EXPECT_EQ(node->listener.messages[0].bytes, sip_request("still-open"));
  EXPECT_TRUE(node->transport.send(node->listener.messages[0].flow.connection, "SIP/2.0 200 OK\r\n\r\n"));
  ASSERT_TRUE(run_until(io_, [&] { return before.received() == "SIP/2.0 200 OK\r\n\r\n"; }));

  // A broken key keeps the context in place, and says which file is wrong.
  const auto current = tls->server_context();
  pki_.write("server.key", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
  auto broken = tls->reload(false);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().find("server.key"), std::string::npos) << broken.error();
  EXPECT_EQ(tls->server_context(), current);
  TlsPeer later(io_, pki_.certificate("ca"));
  ASSERT_TRUE(later.connect(io_, *bound));
  EXPECT_EQ(later.peer_serial(), 2002);
}

}  // namespace
}  // namespace osprey::net
