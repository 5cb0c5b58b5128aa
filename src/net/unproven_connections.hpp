#pragma once
// The accepted connections, over every worker, that have not delivered a complete message
// yet, oldest first: the ones shed when the connection slots are near full (see
// StreamTransport's shed_oldest_unproven for why). Shared by every worker, like the
// ConnectionCounter that holds it; touched on accept, on a connection's first message and on
// close, never per message, so a short lock is fine.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "net/flow.hpp"

namespace osprey::net {

class UnprovenConnections {
 public:
  // Asks a worker to close one of its connections. Called from another worker's thread, under
  // this object's lock: it must only post the work to its own worker.
  using ShedRequest = std::function<void(ConnectionId)>;
  using Ticket = std::uint64_t;
  struct Entry {
    unsigned member = 0;
    ConnectionId connection = 0;
  };

  // A worker's transport joins once; it leaves before it goes away (no request reaches it after).
  unsigned join(ShedRequest request);
  void leave(unsigned member);

  Ticket add(unsigned member, ConnectionId connection);
  void remove(Ticket ticket);  // delivered a message, or closed; unknown tickets are ignored

  // Removes the oldest entry and returns it (nullopt when there is none).
  std::optional<Entry> take_oldest();
  // Hands `entry` to its member's ShedRequest; false if the member has left.
  bool request_shed(const Entry& entry);

  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::vector<ShedRequest> members_;  // by member number; empty once left
  std::map<Ticket, Entry> oldest_first_;
  Ticket next_ticket_ = 1;
};

}  // namespace osprey::net
