#include "net/connections_by_remote.hpp"

namespace osprey::net {

std::optional<ConnectionId> ConnectionsByRemote::find(Protocol protocol, const Endpoint& remote,
                                                      ConnectionRole role) const {
  const auto& by_remote = role == ConnectionRole::accepted ? accepted_ : outbound_;
  const auto found = by_remote.find(key_of(protocol, remote));
  if (found == by_remote.end()) return std::nullopt;
  return found->second;
}

void ConnectionsByRemote::add(const Flow& flow, ConnectionRole role) {
  index(role)[key_of(flow.protocol, flow.remote)] = flow.connection;
}

void ConnectionsByRemote::remove(const Flow& flow) {
  for (auto* by_remote : {&accepted_, &outbound_}) {
    if (const auto indexed = by_remote->find(key_of(flow.protocol, flow.remote));
        indexed != by_remote->end() && indexed->second == flow.connection) {
      by_remote->erase(indexed);
    }
  }
}

}  // namespace osprey::net
