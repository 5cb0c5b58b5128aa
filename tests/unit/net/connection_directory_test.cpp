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
  EXPECT_FALSE(directory.find(Protocol::tcp, flow.remote));
  directory.publish(flow);
  const auto found = directory.find(Protocol::tcp, flow.remote);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->connection, flow.connection);
  EXPECT_EQ(found->local, flow.local);
  EXPECT_FALSE(directory.find(Protocol::tls, flow.remote));         // another protocol
  EXPECT_FALSE(directory.find(Protocol::tcp, {kLoopback, 40001}));  // another port
  directory.withdraw(flow);
  EXPECT_FALSE(directory.find(Protocol::tcp, flow.remote));
}

TEST_F(ConnectionDirectoryTest, TheNewestConnectionToAPeerWinsAndAnOlderOneClosingLeavesIt) {
  const Flow older = tcp_flow(ConnectionDirectory::first_id(a), 40000);
  const Flow newer = tcp_flow(ConnectionDirectory::first_id(b), 40000);
  directory.publish(older);
  directory.publish(newer);
  directory.withdraw(older);  // closed after the newer one opened: the newer one stays
  const auto found = directory.find(Protocol::tcp, older.remote);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->connection, newer.connection);
}

TEST_F(ConnectionDirectoryTest, HandOverGoesToTheOwnerOfTheConnection) {
  const Flow flow = tcp_flow(ConnectionDirectory::first_id(b) + 3, 40000);
  EXPECT_TRUE(directory.hand_over({flow, "MESSAGE", "bob.example"}));
  EXPECT_TRUE(first.deliveries.empty());
  ASSERT_EQ(second.deliveries.size(), 1u);
  EXPECT_EQ(second.deliveries[0].bytes, "MESSAGE");
  EXPECT_EQ(second.deliveries[0].server_name, "bob.example");
  EXPECT_EQ(second.deliveries[0].flow.connection, flow.connection);
}

TEST_F(ConnectionDirectoryTest, AMemberThatLeftIsNeitherFoundNorHandedAnything) {
  const Flow flow = tcp_flow(ConnectionDirectory::first_id(a), 40000);
  directory.publish(flow);
  directory.leave(a);  // the worker is stopping: its io_context may soon be gone
  EXPECT_FALSE(directory.find(Protocol::tcp, flow.remote));
  EXPECT_FALSE(directory.hand_over({flow, "x", {}}));
  EXPECT_FALSE(
      directory.hand_over({tcp_flow(ConnectionDirectory::first_id(7), 1), "x", {}}));  // never joined
  EXPECT_TRUE(first.deliveries.empty());
}

TEST_F(ConnectionDirectoryTest, PublishAndFindFromSeveralThreads) {
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) directory.find(Protocol::tcp, {kLoopback, 40000});
  });
  for (std::uint16_t port = 40000; port < 41000; ++port) {
    const Flow flow = tcp_flow(ConnectionDirectory::first_id(a) + port, port);
    directory.publish(flow);
    directory.withdraw(flow);
  }
  stop = true;
  reader.join();
  EXPECT_FALSE(directory.find(Protocol::tcp, {kLoopback, 40000}));
}

}  // namespace
}  // namespace osprey::net
