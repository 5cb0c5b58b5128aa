#include "net/connections_by_remote.hpp"

#include <gtest/gtest.h>

namespace osprey::net {
namespace {

const Endpoint kPeer{boost::asio::ip::make_address("192.0.2.10"), 5060};

Flow flow(Protocol protocol, const Endpoint& remote, ConnectionId id) {
  Flow result;
  result.protocol = protocol;
  result.remote = remote;
  result.connection = id;
  return result;
}

TEST(ConnectionsByRemote, KeepsTheRolesApart) {
  ConnectionsByRemote index;
  index.add(flow(Protocol::tcp, kPeer, 1), ConnectionRole::accepted);
  index.add(flow(Protocol::tcp, kPeer, 2), ConnectionRole::outbound);
  // RFC 5923 §5: our own attempt to the peer's address does not hide the connection it opened.
  EXPECT_EQ(index.find(Protocol::tcp, kPeer, ConnectionRole::accepted), 1u);
  EXPECT_EQ(index.find(Protocol::tcp, kPeer, ConnectionRole::outbound), 2u);
}

TEST(ConnectionsByRemote, KeysOnProtocolAddressAndPort) {
  ConnectionsByRemote index;
  index.add(flow(Protocol::tcp, kPeer, 1), ConnectionRole::outbound);
  EXPECT_FALSE(index.find(Protocol::tls, kPeer, ConnectionRole::outbound));
  EXPECT_FALSE(index.find(Protocol::tcp, Endpoint{kPeer.address, 5061}, ConnectionRole::outbound));
  EXPECT_FALSE(index.find(Protocol::tcp, Endpoint{boost::asio::ip::make_address("192.0.2.11"), 5060},
                          ConnectionRole::outbound));
}

TEST(ConnectionsByRemote, TheNewestWinsAndAnOlderOneRemovedLeavesIt) {
  ConnectionsByRemote index;
  index.add(flow(Protocol::tcp, kPeer, 1), ConnectionRole::accepted);
  index.add(flow(Protocol::tcp, kPeer, 2), ConnectionRole::accepted);
  EXPECT_EQ(index.find(Protocol::tcp, kPeer, ConnectionRole::accepted), 2u);
  index.remove(flow(Protocol::tcp, kPeer, 1));  // closed, but no longer the indexed one
  EXPECT_EQ(index.find(Protocol::tcp, kPeer, ConnectionRole::accepted), 2u);
  index.remove(flow(Protocol::tcp, kPeer, 2));
  EXPECT_FALSE(index.find(Protocol::tcp, kPeer, ConnectionRole::accepted));
}

}  // namespace
}  // namespace osprey::net
