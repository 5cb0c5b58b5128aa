#pragma once
// Which worker holds each stream connection, shared by every worker of a server.
//
// RFC 3261 §18.2.2 and §18.1.1 (and RFC 5626 §5.3's flow reuse): a UA behind NAT over TCP or
// TLS is reachable only over the connection it opened, and that connection lives in the one
// worker that accepted it. A worker that must send to such a peer and has no connection of its
// own finds the owner here and hands it the bytes; only bytes cross threads, never a
// transaction. Entries change when a connection opens or closes and are read only when a worker
// has no connection of its own, so a short lock is fine (DESIGN.md, threading): the UDP path and
// the path of a local connection never touch it.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "net/flow.hpp"

namespace osprey::net {

// Bytes for another worker's connection, with what it needs to open one if that is gone.
struct StreamDelivery {
  Flow flow;                // the owner's connection (flow.connection) and its peer
  std::string bytes;        // one whole message
  std::string server_name;  // TLS: the name to verify should the owner have to reconnect
  // Should the connection be gone: which other connection to flow.remote the owner may use.
  ConnectionReuse reuse = ConnectionReuse::outbound_only;
};

// Who opened a connection: osprey (outbound) or the peer (accepted).
enum class ConnectionRole : std::uint8_t { outbound, accepted };

class ConnectionDirectory {
 public:
  // One worker's stream transport as the other workers reach it.
  class Member {
   public:
    virtual ~Member() = default;
    // Called on any thread, under the directory's lock: must only queue the work onto the
    // member's own thread (an io_context post), never send or call back into the directory.
    virtual void deliver(StreamDelivery delivery) = 0;
  };

  // Connection ids carry their member's number in the top bits, so an id names its owner and
  // ids of different workers never collide (a response handed between workers keeps its flow).
  static constexpr unsigned kMemberShift = 48;
  static unsigned member_of(ConnectionId connection) {
    return static_cast<unsigned>(connection >> kMemberShift);
  }
  static ConnectionId first_id(unsigned member) {
    return (static_cast<ConnectionId>(member) << kMemberShift) + 1;
  }

  // Returns the member's number. `member` must stay valid until leave().
  unsigned join(Member& member);
  // The worker is stopping: nothing is handed to it any more, and its entries are ignored.
  void leave(unsigned member);

  // A connection was accepted or opened (the newest one to a peer in that role wins, as in each
  // worker). The roles are kept apart: a connection osprey tries to open toward a peer's address
  // and port never hides (nor, closing, removes) the one that peer opened.
  void publish(const Flow& flow, ConnectionRole role);
  // It closed: removed unless a newer connection to the same peer replaced it.
  void withdraw(const Flow& flow);
  // The connection to `remote` with `protocol` in `role`, in whichever worker holds it.
  std::optional<Flow> find(Protocol protocol, const Endpoint& remote, ConnectionRole role) const;
  // Queues the bytes on the worker owning delivery.flow.connection; false when that worker has
  // left (the caller then connects itself).
  bool hand_over(StreamDelivery delivery);

 private:
  // Boost 1.74's address has operator< but no std::hash.
  using RemoteKey = std::tuple<Protocol, boost::asio::ip::address, std::uint16_t>;

  mutable std::mutex mutex_;
  std::vector<Member*> members_;        // null once a member left
  std::map<RemoteKey, Flow> accepted_;  // the newest the peer opened
  std::map<RemoteKey, Flow> outbound_;  // the newest osprey opened
};

}  // namespace osprey::net
