#include "net/udp_socket.hpp"

#include <gtest/gtest.h>

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "recording_listener.hpp"

namespace osprey::net {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using testing::RecordingListener;
using testing::run_until;

using testing::from_asio;
using testing::kLoopback4;
using testing::kLoopback6;
using testing::to_asio;

class UdpSocketTest : public ::testing::Test {
 protected:
  // A plain Asio socket on loopback: the peer no one on the project wrote.
  asio::ip::udp::socket plain_socket(const asio::ip::address& address = kLoopback4) {
    asio::ip::udp::socket socket(io_context);
    boost::system::error_code error;
    socket.open(address.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), error);
    EXPECT_FALSE(error) << error.message();
    socket.bind({address, 0}, error);
    EXPECT_FALSE(error) << error.message();
    return socket;
  }

  void send_plain(asio::ip::udp::socket& from, const Endpoint& to, std::string_view bytes) {
    boost::system::error_code error;
    from.send_to(asio::buffer(bytes.data(), bytes.size()), to_asio(to), 0, error);
    EXPECT_FALSE(error) << error.message();
  }

  Endpoint open(UdpSocket& socket, const asio::ip::address& address = kLoopback4, std::uint16_t port = 0) {
    auto bound = socket.open({address, port});
    EXPECT_TRUE(bound) << (bound ? "" : bound.error());
    return bound ? *bound : Endpoint{};
  }

  asio::io_context io_context;
  RecordingListener listener;
};

TEST_F(UdpSocketTest, OpenReturnsTheSystemChosenPort) {
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  EXPECT_EQ(bound.address, kLoopback4);
  EXPECT_NE(bound.port, 0);
  EXPECT_EQ(socket.local(), bound);
}

TEST_F(UdpSocketTest, WildcardOpenKeepsTheWildcardAsLocal) {
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket, asio::ip::address_v4::any());
  EXPECT_TRUE(bound.address.is_unspecified());
  EXPECT_NE(bound.port, 0);
}

TEST_F(UdpSocketTest, DatagramArrivesWithItsFlow) {
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  auto peer = plain_socket();
  send_plain(peer, bound, "OPTIONS sip:a@example.com SIP/2.0\r\n\r\n");

  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 1; }));
  const auto& message = listener.messages[0];
  EXPECT_EQ(message.bytes, "OPTIONS sip:a@example.com SIP/2.0\r\n\r\n");
  EXPECT_EQ(message.flow.protocol, Protocol::udp);
  EXPECT_EQ(message.flow.remote, from_asio(peer.local_endpoint()));
  EXPECT_EQ(message.flow.local, bound);
  EXPECT_EQ(message.flow.connection, 0u);
  EXPECT_EQ(socket.received(), 1u);
  EXPECT_EQ(socket.truncated(), 0u);
}

TEST_F(UdpSocketTest, BurstOfAHundredAllArriveInOrder) {
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  auto peer = plain_socket();
  // Sent before the io_context runs: they wait in the socket and come out in recvmmsg batches.
  for (int i = 0; i < 100; ++i) send_plain(peer, bound, "message " + std::to_string(i));

  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 100; }))
      << listener.messages.size() << " arrived";
  // One sender, one socket: the kernel queue is first in, first out.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(listener.messages[i].bytes, "message " + std::to_string(i));
  EXPECT_EQ(socket.received(), 100u);
}

TEST_F(UdpSocketTest, MoreThanOneWakeUpWorthIsReadWithoutANewArrival) {
  // 300 datagrams exceed the 8 x 32 read per wake-up: the rest are read on a later turn of
  // the io_context although no new datagram arrives.
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  auto peer = plain_socket();
  for (int i = 0; i < 300; ++i) send_plain(peer, bound, std::to_string(i));

  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 300; }))
      << listener.messages.size() << " arrived";
  EXPECT_EQ(listener.messages.back().bytes, "299");
}

TEST_F(UdpSocketTest, SixtyThousandByteDatagramArrivesWhole) {
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  auto peer = plain_socket();
  std::string big(60000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  send_plain(peer, bound, big);

  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 1; }));
  EXPECT_EQ(listener.messages[0].bytes, big);
  EXPECT_EQ(socket.truncated(), 0u);
}

TEST_F(UdpSocketTest, LargestIpv4DatagramArrivesWhole) {
  // 65535 - 20 (IPv4 header) - 8 (UDP header): nothing longer can reach an IPv4 socket.
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  auto peer = plain_socket();
  const std::string largest(65507, 'x');
  send_plain(peer, bound, largest);

  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 1; }));
  EXPECT_EQ(listener.messages[0].bytes.size(), 65507u);
}

TEST_F(UdpSocketTest, LongerThanTheLimitIsCountedAndDroppedNeverCut) {
  // A 1000-byte limit makes the too-long paths reachable over loopback: 1001 bytes fill the
  // spare byte of the slot, 5000 bytes are cut by the kernel (MSG_TRUNC).
  UdpSocket socket(io_context, listener, 1000);
  const Endpoint bound = open(socket);
  auto peer = plain_socket();
  send_plain(peer, bound, std::string(1001, 'a'));
  send_plain(peer, bound, std::string(5000, 'b'));
  send_plain(peer, bound, std::string(1000, 'c'));
  send_plain(peer, bound, "last");

  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 2; }));
  EXPECT_EQ(listener.messages[0].bytes, std::string(1000, 'c'));
  EXPECT_EQ(listener.messages[1].bytes, "last");
  EXPECT_EQ(socket.truncated(), 2u);
  EXPECT_EQ(socket.received(), 2u);
}

TEST_F(UdpSocketTest, AnswersSentDuringABatchAllGoOutInOrder) {
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  auto peer = plain_socket();
  // Each datagram is answered from inside on_message, as the server does: those answers are
  // queued and leave in sendmmsg batches, more than one batch's worth here (100 > 32).
  listener.after_message = [&] {
    const testing::ReceivedMessage& last = listener.messages.back();
    EXPECT_TRUE(socket.send_to(last.flow.remote, "answer to " + last.bytes));
  };
  for (int i = 0; i < 100; ++i) send_plain(peer, bound, std::to_string(i));
  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 100; }));

  peer.non_blocking(true);
  std::array<char, 256> buffer{};
  std::vector<std::string> answers;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (answers.size() < 100 && std::chrono::steady_clock::now() < deadline) {
    boost::system::error_code error;
    asio::ip::udp::endpoint source;
    const std::size_t n = peer.receive_from(asio::buffer(buffer), source, 0, error);
    if (error == asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    ASSERT_FALSE(error) << error.message();
    EXPECT_EQ(from_asio(source), bound);
    answers.emplace_back(buffer.data(), n);
  }
  ASSERT_EQ(answers.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(answers[i], "answer to " + std::to_string(i));
}

TEST_F(UdpSocketTest, SendToReachesAPlainSocket) {
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  auto peer = plain_socket();

  std::array<char, 2048> buffer{};
  asio::ip::udp::endpoint source;
  std::size_t length = 0;
  bool done = false;
  peer.async_receive_from(asio::buffer(buffer), source, [&](boost::system::error_code error, std::size_t n) {
    EXPECT_FALSE(error) << error.message();
    length = n;
    done = true;
  });
  EXPECT_TRUE(socket.send_to(from_asio(peer.local_endpoint()), "SIP/2.0 200 OK\r\n\r\n"));

  ASSERT_TRUE(run_until(io_context, [&] { return done; }));
  EXPECT_EQ(std::string_view(buffer.data(), length), "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_EQ(from_asio(source), bound);  // RFC 3261 §18.2.2: from the socket the request came in on
}

TEST_F(UdpSocketTest, SendToAnIpv4MappedAddressGoesOutAsIpv4) {
  UdpSocket socket(io_context, listener);
  open(socket);
  auto peer = plain_socket();
  std::array<char, 64> buffer{};
  bool done = false;
  peer.async_receive(asio::buffer(buffer), [&](boost::system::error_code, std::size_t) { done = true; });
  const auto mapped = asio::ip::make_address_v6(asio::ip::v4_mapped, kLoopback4.to_v4());
  EXPECT_TRUE(socket.send_to({mapped, peer.local_endpoint().port()}, "x"));
  EXPECT_TRUE(run_until(io_context, [&] { return done; }));
}

TEST_F(UdpSocketTest, SendFailsWhenClosedOrNeverOpened) {
  UdpSocket never_opened(io_context, listener);
  EXPECT_FALSE(never_opened.send_to({kLoopback4, 9}, "x"));
  UdpSocket socket(io_context, listener);
  open(socket);
  socket.close();
  EXPECT_FALSE(socket.send_to({kLoopback4, 9}, "x"));
}

TEST_F(UdpSocketTest, TwoSocketsShareAPortWithReusePort) {
  // Every worker binds its own socket to the configured address (DESIGN.md, threading).
  UdpSocket first(io_context, listener);
  UdpSocket second(io_context, listener);
  const Endpoint bound = open(first);
  auto again = second.open(bound);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(*again, bound);
}

TEST_F(UdpSocketTest, OpenFailsWithTheSystemReasonWhenAPlainSocketHoldsThePort) {
  auto holder = plain_socket();
  UdpSocket socket(io_context, listener);
  auto bound = socket.open(from_asio(holder.local_endpoint()));
  ASSERT_FALSE(bound);
  EXPECT_EQ(bound.error(), "Address already in use");
}

TEST_F(UdpSocketTest, CheckPortFreeForUdp) {
  EXPECT_TRUE(check_port_free(Protocol::udp, {kLoopback4, 0}));  // port 0: always free

  auto holder = plain_socket();
  const Endpoint held = from_asio(holder.local_endpoint());
  auto verdict = check_port_free(Protocol::udp, held);
  ASSERT_FALSE(verdict);
  EXPECT_EQ(verdict.error(), "Address already in use");
  holder.close();
  EXPECT_TRUE(check_port_free(Protocol::udp, held));

  // Another osprey's SO_REUSEPORT socket holds the port too: a second server must not share it.
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  EXPECT_FALSE(check_port_free(Protocol::udp, bound));
}

TEST_F(UdpSocketTest, CheckPortFreeForTcp) {
  asio::ip::tcp::acceptor acceptor(io_context, asio::ip::tcp::endpoint(kLoopback4, 0));
  const Endpoint held{kLoopback4, acceptor.local_endpoint().port()};
  EXPECT_FALSE(check_port_free(Protocol::tcp, held));
  EXPECT_FALSE(check_port_free(Protocol::tls, held));
  acceptor.close();
  EXPECT_TRUE(check_port_free(Protocol::tcp, held));
  EXPECT_TRUE(check_port_free(Protocol::tcp, {kLoopback4, 0}));
}

TEST_F(UdpSocketTest, Ipv6LoopbackBothWays) {
  UdpSocket socket(io_context, listener);
  auto bound = socket.open({kLoopback6, 0});
  if (!bound) GTEST_SKIP() << "cannot bind ::1: " << bound.error();
  EXPECT_EQ(bound->address, kLoopback6);

  auto peer = plain_socket(kLoopback6);
  send_plain(peer, *bound, "over IPv6");
  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 1; }));
  const Flow& flow = listener.messages[0].flow;
  EXPECT_TRUE(flow.remote.address.is_v6());
  EXPECT_EQ(flow.remote, from_asio(peer.local_endpoint()));
  EXPECT_EQ(flow.local, *bound);

  std::array<char, 64> buffer{};
  std::size_t length = 0;
  peer.async_receive(asio::buffer(buffer), [&](boost::system::error_code, std::size_t n) { length = n; });
  EXPECT_TRUE(socket.send_to(flow.remote, "answer"));
  ASSERT_TRUE(run_until(io_context, [&] { return length != 0; }));
  EXPECT_EQ(std::string_view(buffer.data(), length), "answer");

  // IPV6_V6ONLY: an IPv4 destination cannot go out of an IPv6 socket.
  EXPECT_FALSE(socket.send_to({kLoopback4, peer.local_endpoint().port()}, "x"));
}

TEST_F(UdpSocketTest, Ipv6SocketIsV6OnlySoIpv4CanShareThePort) {
  UdpSocket v6(io_context, listener);
  auto bound6 = v6.open({asio::ip::address_v6::any(), 0});
  if (!bound6) GTEST_SKIP() << "no IPv6: " << bound6.error();
  UdpSocket v4(io_context, listener);
  auto bound4 = v4.open({asio::ip::address_v4::any(), bound6->port});
  ASSERT_TRUE(bound4) << bound4.error();
  EXPECT_EQ(bound4->port, bound6->port);
}

TEST_F(UdpSocketTest, CloseInsideOnMessageStopsDelivery) {
  UdpSocket socket(io_context, listener);
  const Endpoint bound = open(socket);
  listener.after_message = [&] { socket.close(); };
  auto peer = plain_socket();
  for (int i = 0; i < 5; ++i) send_plain(peer, bound, "m");

  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 1; }));
  testing::run_for(io_context, milliseconds(50));
  EXPECT_EQ(listener.messages.size(), 1u);
}

TEST_F(UdpSocketTest, DestroyInsideOnMessageIsSafe) {
  auto socket = std::make_unique<UdpSocket>(io_context, listener);
  const Endpoint bound = open(*socket);
  listener.after_message = [&] { socket.reset(); };
  auto peer = plain_socket();
  for (int i = 0; i < 5; ++i) send_plain(peer, bound, "m");

  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 1; }));
  testing::run_for(io_context, milliseconds(50));
  EXPECT_EQ(listener.messages.size(), 1u);
}

TEST_F(UdpSocketTest, DestroyWithTheWaitPendingIsSafe) {
  // Destroying cancels the wait; its handler runs later, after the socket is gone.
  auto socket = std::make_unique<UdpSocket>(io_context, listener);
  const Endpoint bound = open(*socket);
  auto peer = plain_socket();
  send_plain(peer, bound, "m");
  socket.reset();
  testing::run_for(io_context, milliseconds(50));
  EXPECT_TRUE(listener.messages.empty());
}

TEST_F(UdpSocketTest, DestroyWithTheReadContinuationQueuedIsSafe) {
  // 300 datagrams: one wake-up reads 256 and queues a continuation for the rest. The socket
  // goes away between the two.
  auto socket = std::make_unique<UdpSocket>(io_context, listener);
  const Endpoint bound = open(*socket);
  auto peer = plain_socket();
  for (int i = 0; i < 300; ++i) send_plain(peer, bound, "m");
  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() >= 256; }));
  EXPECT_EQ(listener.messages.size(), 256u);
  socket.reset();
  testing::run_for(io_context, milliseconds(50));
  EXPECT_EQ(listener.messages.size(), 256u);
}

}  // namespace
}  // namespace osprey::net
