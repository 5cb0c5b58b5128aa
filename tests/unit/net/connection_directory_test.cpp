// ConnectionDirectory: which worker holds each stream connection (RFC 3261 §18.2.2 connection
// reuse across workers), with fake members that record what they are handed.

#include "net/connection_directory.hpp"

#include <gtest/gtest.h>

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace osprey::net {
namespace {

const boost::asio::ip::address kLoopback = boost::asio::ip::make_address("127.0.0.1");
constexpr ConnectionRole kAccepted = ConnectionRole::accepted;
constexpr ConnectionRole kOutbound = ConnectionRole::outbound;

class RecordingMember final : public ConnectionDirectory::Member {
 public:
  void deliver(StreamDelivery delivery) override { deliveries.push_back(std::move(delivery)); }
  std::vector<StreamDelivery> deliveries;
};

Flow tcp_flow(ConnectionId connection, std::uint16_t remote_port) {
  return Flow{Protocol::tcp, {kLoopback, remote_port}, {kLoopback, 5060}, connection};
}

// A directory with two workers' transports joined, as a server with two workers has.
class ConnectionDirectoryTest : public ::testing::Test {
 protected:
  ConnectionDirectory directory;
  RecordingMember first;
  RecordingMember second;
  const unsigned a = directory.join(first);
  const unsigned b = directory.join(second);
};

TEST_F(ConnectionDirectoryTest, ConnectionIdsNameTheirMember) {
  EXPECT_NE(a, b);
  EXPECT_EQ(ConnectionDirectory::first_id(0), 1u);  // a lone transport's ids stay 1, 2, ...
  EXPECT_EQ(ConnectionDirectory::member_of(ConnectionDirectory::first_id(a) + 41), a);
  EXPECT_EQ(ConnectionDirectory::member_of(ConnectionDirectory::first_id(b) + 41), b);
}

TEST_F(ConnectionDirectoryTest, FindsThePublishedConnectionByProtocolAndPeer) {
  const Flow flow = tcp_flow(ConnectionDirectory::first_id(a), 40000);
  EXPECT_FALSE(directory.find(Protocol::tcp, flow.remote, kAccepted));
  directory.publish(flow, ConnectionRole::accepted);
  const auto found = directory.find(Protocol::tcp, flow.remote, kAccepted);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->connection, flow.connection);
  EXPECT_EQ(found->local, flow.local);
  EXPECT_FALSE(directory.find(Protocol::tls, flow.remote, kAccepted));         // another protocol
  EXPECT_FALSE(directory.find(Protocol::tcp, {kLoopback, 40001}, kAccepted));  // another port
  directory.withdraw(flow);
  EXPECT_FALSE(directory.find(Protocol::tcp, flow.remote, kAccepted));
}

TEST_F(ConnectionDirectoryTest, TheNewestConnectionToAPeerWinsAndAnOlderOneClosingLeavesIt) {
  const Flow older = tcp_flow(ConnectionDirectory::first_id(a), 40000);
  const Flow newer = tcp_flow(ConnectionDirectory::first_id(b), 40000);
  directory.publish(older, ConnectionRole::accepted);
  directory.publish(newer, ConnectionRole::accepted);
  directory.withdraw(older);  // closed after the newer one opened: the newer one stays
  const auto found = directory.find(Protocol::tcp, older.remote, kAccepted);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->connection, newer.connection);
}

// RFC 5923 §5, §11: connections the peers opened and those osprey opened are found apart (a
// request to a destination some Contact names may use only the latter).
TEST_F(ConnectionDirectoryTest, AcceptedAndOutboundConnectionsAreFoundApart) {
  const Flow accepted = tcp_flow(ConnectionDirectory::first_id(a), 40000);
  directory.publish(accepted, kAccepted);
  EXPECT_FALSE(directory.find(Protocol::tcp, accepted.remote, kOutbound));
  ASSERT_TRUE(directory.find(Protocol::tcp, accepted.remote, kAccepted));

  const Flow outbound = tcp_flow(ConnectionDirectory::first_id(b), 5070);
  directory.publish(outbound, kOutbound);
  const auto mine = directory.find(Protocol::tcp, outbound.remote, kOutbound);
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->connection, outbound.connection);
  EXPECT_FALSE(directory.find(Protocol::tcp, outbound.remote, kAccepted));
  directory.withdraw(outbound);
  EXPECT_FALSE(directory.find(Protocol::tcp, outbound.remote, kOutbound));
}

// A connection osprey opens toward a peer's address and port (some Contact named them) neither
// hides nor, when it fails, removes the connection that peer opened.
TEST_F(ConnectionDirectoryTest, AnOutboundAttemptNeverDisplacesTheAcceptedConnection) {
  const Flow accepted = tcp_flow(ConnectionDirectory::first_id(a), 40000);
  const Flow attempt = tcp_flow(ConnectionDirectory::first_id(b), 40000);
  const auto found = [&](ConnectionRole role) -> ConnectionId {
    const auto flow = directory.find(Protocol::tcp, accepted.remote, role);
    return flow ? flow->connection : 0;
  };
  directory.publish(accepted, kAccepted);
  directory.publish(attempt, kOutbound);
  EXPECT_EQ(found(kAccepted), accepted.connection);
  EXPECT_EQ(found(kOutbound), attempt.connection);
  directory.withdraw(attempt);
  EXPECT_EQ(found(kAccepted), accepted.connection);
  EXPECT_EQ(found(kOutbound), 0u);
}

TEST_F(ConnectionDirectoryTest, HandOverGoesToTheOwnerOfTheConnection) {
  const Flow flow = tcp_flow(ConnectionDirectory::first_id(b) + 3, 40000);
  EXPECT_TRUE(directory.hand_over({flow, "MESSAGE", "bob.example", ConnectionReuse::outbound_only}));
  EXPECT_TRUE(first.deliveries.empty());
  ASSERT_EQ(second.deliveries.size(), 1u);
  EXPECT_EQ(second.deliveries[0].bytes, "MESSAGE");
  EXPECT_EQ(second.deliveries[0].server_name, "bob.example");
  EXPECT_EQ(second.deliveries[0].flow.connection, flow.connection);
  EXPECT_EQ(second.deliveries[0].reuse, ConnectionReuse::outbound_only);  // for the owner's fallback
}

TEST_F(ConnectionDirectoryTest, AMemberThatLeftIsNeitherFoundNorHandedAnything) {
  const Flow flow = tcp_flow(ConnectionDirectory::first_id(a), 40000);
  directory.publish(flow, ConnectionRole::accepted);
  directory.leave(a);  // the worker is stopping: its io_context may soon be gone
  EXPECT_FALSE(directory.find(Protocol::tcp, flow.remote, kAccepted));
  EXPECT_FALSE(directory.hand_over({flow, "x", {}}));
  EXPECT_FALSE(
      directory.hand_over({tcp_flow(ConnectionDirectory::first_id(7), 1), "x", {}}));  // never joined
  EXPECT_TRUE(first.deliveries.empty());
}

TEST_F(ConnectionDirectoryTest, PublishAndFindFromSeveralThreads) {
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) directory.find(Protocol::tcp, {kLoopback, 40000}, kAccepted);
  });
  for (std::uint16_t port = 40000; port < 41000; ++port) {
    const Flow flow = tcp_flow(ConnectionDirectory::first_id(a) + port, port);
    directory.publish(flow, ConnectionRole::accepted);
    directory.withdraw(flow);
  }
  stop = true;
  reader.join();
  EXPECT_FALSE(directory.find(Protocol::tcp, {kLoopback, 40000}, kAccepted));
}

}  // namespace
}  // namespace osprey::net
