#include "net/net_transport.hpp"

#include <gtest/gtest.h>

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <array>
#include <memory>
#include <string>

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>
#include <boost/asio/ip/udp.hpp>

#include "recording_listener.hpp"

namespace osprey::net {
namespace {

namespace asio = boost::asio;
using testing::RecordingListener;
using testing::run_until;

using testing::can_bind_ipv6_loopback;
using testing::from_asio;
using testing::kLoopback4;
using testing::kLoopback6;
using testing::to_asio;

class NetTransportTest : public ::testing::Test {
 protected:
  // A plain Asio socket on loopback that records the first datagram it receives.
  struct Peer {
    explicit Peer(asio::io_context& context, const asio::ip::address& address = kLoopback4)
        : socket(context) {
      boost::system::error_code error;
      socket.open(address.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), error);
      EXPECT_FALSE(error) << error.message();
      socket.bind({address, 0}, error);
      EXPECT_FALSE(error) << error.message();
    }
    Endpoint endpoint() const { return from_asio(socket.local_endpoint()); }
    void expect_one() {
      socket.async_receive_from(asio::buffer(buffer), source,
                                [this](boost::system::error_code, std::size_t n) {
                                  received = std::string(buffer.data(), n);
                                  done = true;
                                });
    }
    void send(const Endpoint& to, std::string_view bytes) {
      boost::system::error_code error;
      socket.send_to(asio::buffer(bytes.data(), bytes.size()), to_asio(to), 0, error);
      EXPECT_FALSE(error) << error.message();
    }

    asio::ip::udp::socket socket;
    std::array<char, 2048> buffer{};
    asio::ip::udp::endpoint source;
    std::string received;
    bool done = false;
  };

  Endpoint listen(Protocol protocol, const Endpoint& at) {
    auto bound = transport.listen(protocol, at);
    EXPECT_TRUE(bound) << (bound ? "" : bound.error());
    return bound ? *bound : Endpoint{};
  }

  asio::io_context io_context;
  RecordingListener listener;
  ConnectionCounter counter{100, 10};
  spdlog::logger logger{"net_transport_test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  NetTransport transport{io_context, listener, StreamLimits{}, counter, nullptr, logger};
};

TEST_F(NetTransportTest, RequestInResponseOutOfTheSameSocket) {
  const Endpoint bound = listen(Protocol::udp, {kLoopback4, 0});
  Peer peer(io_context);
  peer.send(bound, "OPTIONS sip:osprey SIP/2.0\r\n\r\n");
  ASSERT_TRUE(run_until(io_context, [&] { return listener.messages.size() == 1; }));
  const Flow flow = listener.messages[0].flow;
  EXPECT_EQ(flow.protocol, Protocol::udp);
  EXPECT_EQ(flow.remote, peer.endpoint());
  EXPECT_EQ(flow.local, bound);

  // RFC 3261 §18.2.2: the response goes back over the flow the request came in on.
  peer.expect_one();
  EXPECT_TRUE(transport.send(flow, "SIP/2.0 200 OK\r\n\r\n"));
  ASSERT_TRUE(run_until(io_context, [&] { return peer.done; }));
  EXPECT_EQ(peer.received, "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_EQ(from_asio(peer.source), bound);
}

TEST_F(NetTransportTest, SendPicksTheSocketBoundAtTheFlowsLocalEnd) {
  // 127.0.0.2 is loopback too on Linux (127.0.0.0/8).
  const Endpoint first = listen(Protocol::udp, {kLoopback4, 0});
  const Endpoint second = listen(Protocol::udp, {asio::ip::make_address("127.0.0.2"), 0});
  Peer peer(io_context);
  peer.expect_one();
  EXPECT_TRUE(transport.send(Flow{Protocol::udp, peer.endpoint(), second, 0}, "via second"));
  ASSERT_TRUE(run_until(io_context, [&] { return peer.done; }));
  EXPECT_EQ(from_asio(peer.source), second);

  // A local end we do not have (a socket closed since): the first socket of the family.
  Peer other(io_context);
  other.expect_one();
  EXPECT_TRUE(transport.send(Flow{Protocol::udp, other.endpoint(), {kLoopback4, 1}, 0}, "fallback"));
  ASSERT_TRUE(run_until(io_context, [&] { return other.done; }));
  EXPECT_EQ(from_asio(other.source), first);
}

TEST_F(NetTransportTest, SendToUsesTheSocketOfTheDestinationsFamily) {
  const Endpoint bound4 = listen(Protocol::udp, {kLoopback4, 0});
  Peer peer(io_context);
  peer.expect_one();
  auto flow = transport.send_to(Protocol::udp, peer.endpoint(), "MESSAGE");
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->protocol, Protocol::udp);
  EXPECT_EQ(flow->remote, peer.endpoint());
  EXPECT_EQ(flow->local, bound4);
  EXPECT_EQ(flow->connection, 0u);
  ASSERT_TRUE(run_until(io_context, [&] { return peer.done; }));
  EXPECT_EQ(peer.received, "MESSAGE");
  EXPECT_EQ(from_asio(peer.source), bound4);

  // No IPv6 socket: an IPv6 destination has no way out.
  EXPECT_FALSE(transport.send_to(Protocol::udp, {kLoopback6, 5060}, "x"));
  EXPECT_FALSE(transport.sent_by(Protocol::udp, {kLoopback6, 5060}));
}

TEST_F(NetTransportTest, SendToAnIpv4MappedDestinationIsIpv4) {
  const Endpoint bound4 = listen(Protocol::udp, {kLoopback4, 0});
  Peer peer(io_context);
  peer.expect_one();
  const auto mapped = asio::ip::make_address_v6(asio::ip::v4_mapped, kLoopback4.to_v4());
  auto flow = transport.send_to(Protocol::udp, {mapped, peer.endpoint().port}, "x");
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->remote, peer.endpoint());  // reported as plain IPv4
  EXPECT_EQ(flow->local, bound4);
  EXPECT_TRUE(run_until(io_context, [&] { return peer.done; }));
}

TEST_F(NetTransportTest, Ipv4AndIpv6SideBySide) {
  if (!can_bind_ipv6_loopback()) GTEST_SKIP() << "cannot bind ::1";
  const Endpoint bound4 = listen(Protocol::udp, {kLoopback4, 0});
  const Endpoint bound6 = listen(Protocol::udp, {kLoopback6, 0});
  Peer peer6(io_context, kLoopback6);
  peer6.expect_one();
  auto flow = transport.send_to(Protocol::udp, peer6.endpoint(), "over IPv6");
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->local, bound6);
  ASSERT_TRUE(run_until(io_context, [&] { return peer6.done; }));
  EXPECT_EQ(from_asio(peer6.source), bound6);

  EXPECT_EQ(transport.sent_by(Protocol::udp, {kLoopback6, 5060}), bound6);
  EXPECT_EQ(transport.sent_by(Protocol::udp, {kLoopback4, 5060}), bound4);
}

TEST_F(NetTransportTest, SentByIsTheBoundAddress) {
  const Endpoint bound = listen(Protocol::udp, {kLoopback4, 0});
  EXPECT_EQ(transport.sent_by(Protocol::udp, {kLoopback4, 5060}), bound);
}

TEST_F(NetTransportTest, SentByReplacesAWildcardWithTheAddressTowardTheDestination) {
  // RFC 3261 §18.1.1: 0.0.0.0 in a Via would send responses nowhere.
  const Endpoint bound = listen(Protocol::udp, {asio::ip::address_v4::any(), 0});
  auto sent_by = transport.sent_by(Protocol::udp, {kLoopback4, 5060});
  ASSERT_TRUE(sent_by);
  EXPECT_EQ(sent_by->address, kLoopback4);
  EXPECT_EQ(sent_by->port, bound.port);
}

TEST_F(NetTransportTest, SentByForAProtocolNotListenedOn) {
  listen(Protocol::udp, {kLoopback4, 0});
  EXPECT_FALSE(transport.sent_by(Protocol::tcp, {kLoopback4, 5060}));
  EXPECT_FALSE(transport.sent_by(Protocol::tls, {kLoopback4, 5061}));
}

TEST_F(NetTransportTest, TcpListenerGoesToTheStreams) {
  const Endpoint tcp = listen(Protocol::tcp, {asio::ip::address_v4::any(), 0});
  EXPECT_NE(tcp.port, 0);
  auto sent_by = transport.sent_by(Protocol::tcp, {kLoopback4, 5060});
  ASSERT_TRUE(sent_by);
  EXPECT_EQ(sent_by->address, kLoopback4);  // wildcard replaced here too
  EXPECT_EQ(sent_by->port, tcp.port);
  EXPECT_FALSE(transport.sent_by(Protocol::udp, {kLoopback4, 5060}));  // no UDP socket
}

TEST_F(NetTransportTest, ListenReportsTheSystemsReason) {
  Peer holder(io_context);  // a plain socket without SO_REUSEPORT
  auto bound = transport.listen(Protocol::udp, holder.endpoint());
  ASSERT_FALSE(bound);
  EXPECT_EQ(bound.error(), "Address already in use");
  EXPECT_FALSE(transport.send_to(Protocol::udp, {kLoopback4, 5060}, "x"));  // the failed socket is not kept
}

TEST_F(NetTransportTest, CloseStopsReceivingAndSending) {
  const Endpoint bound = listen(Protocol::udp, {kLoopback4, 0});
  transport.close();
  Peer peer(io_context);
  peer.send(bound, "too late");
  testing::run_for(io_context, std::chrono::milliseconds(50));
  EXPECT_TRUE(listener.messages.empty());
  EXPECT_FALSE(transport.send(Flow{Protocol::udp, peer.endpoint(), bound, 0}, "x"));
  EXPECT_FALSE(transport.send_to(Protocol::udp, peer.endpoint(), "x"));
}

TEST(LocalAddressToward, LoopbackGoesOutOfLoopback) {
  EXPECT_EQ(local_address_toward(kLoopback4), kLoopback4);
  const auto mapped = asio::ip::make_address_v6(asio::ip::v4_mapped, kLoopback4.to_v4());
  EXPECT_EQ(local_address_toward(mapped), kLoopback4);
  if (can_bind_ipv6_loopback()) {
    EXPECT_EQ(local_address_toward(kLoopback6), kLoopback6);
  }
}

}  // namespace
}  // namespace osprey::net
