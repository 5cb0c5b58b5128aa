#pragma once
// One worker's reuse index (RFC 3261 §18.1.1, §18.2.2: requests and responses to the same peer
// go over an open connection to it), kept apart by who opened the connection (RFC 5923 §5), so
// that an attempt to connect to a peer's address and port never hides the connection that peer
// opened.

#include <map>
#include <optional>
#include <tuple>

#include "net/connection_directory.hpp"
#include "net/flow.hpp"

namespace osprey::net {

class ConnectionsByRemote {
 public:
  // The connection indexed for `remote` over `protocol` in `role`, if any.
  std::optional<ConnectionId> find(Protocol protocol, const Endpoint& remote, ConnectionRole role) const;
  // Indexes `flow`'s connection for its remote end; the newest one in its role wins.
  void add(const Flow& flow, ConnectionRole role);
  // Drops `flow`'s connection, in either role, where it is the one indexed for its remote end.
  void remove(const Flow& flow);

 private:
  // Boost 1.74's address has operator< but no std::hash.
  using RemoteKey = std::tuple<Protocol, boost::asio::ip::address, std::uint16_t>;
  static RemoteKey key_of(Protocol protocol, const Endpoint& remote) {
    return {protocol, remote.address, remote.port};
  }
  std::map<RemoteKey, ConnectionId>& index(ConnectionRole role) {
    return role == ConnectionRole::accepted ? accepted_ : outbound_;
  }

  std::map<RemoteKey, ConnectionId> accepted_;
  std::map<RemoteKey, ConnectionId> outbound_;
};

}  // namespace osprey::net
