#pragma once
// Destinations that failed a moment ago, avoided for a while (as Kamailio's dst_blocklist):
// RFC 3263 §4.3 has a client try the next address of a resolved list when one fails, and
// remembering the failure spares the next requests the same wait (Timer B/F, 32 s, per dead
// address). A (transport, address, port) goes on the list after a transport error or a
// transaction timeout for `ttl`, or after a 503 with Retry-After for that many seconds
// (RFC 3261 §21.5.4; bounded by `max_retry_after`).
//
// A listed destination is never refused, only tried last (`order`): the list is a hint of
// what to try first, not a ban. Anyone can make a destination fail once (a request it drops
// silently, a call to a host that does not answer), so skipping it outright would let any
// caller cut everyone off a trunk for a minute; tried last, it costs nothing while another
// address works, and is still reached when nothing else is left.
//
// Bounded: `capacity` entries. Contacts and Request-URIs may point anywhere, so an attacker
// could fill the list with dead addresses; when full, the entry closest to its expiry makes
// way (expired ones first). Owned by one worker (no lock): each worker learns on its own.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "net/flow.hpp"
#include "net/target_resolver.hpp"

namespace osprey::net {

struct BlocklistSettings {
  std::chrono::seconds ttl{60};                // after a transport error or a timeout; 0: off
  std::chrono::seconds max_retry_after{3600};  // a 503's Retry-After is cut to this
  std::size_t capacity = 4096;                 // entries; 0: off
};

class DestinationBlocklist {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds, monotonic (any epoch)

  DestinationBlocklist(BlocklistSettings settings, Clock clock);

  // A transport error or a timeout toward it: listed for `ttl`.
  void failed(Protocol protocol, const Endpoint& endpoint);
  // RFC 3261 §21.5.4: a 503 with Retry-After; listed for that long (at most max_retry_after).
  // Never shortens a listing already longer.
  void unavailable_for(Protocol protocol, const Endpoint& endpoint, std::uint32_t seconds);
  bool contains(Protocol protocol, const Endpoint& endpoint) const;
  // The listed hops after the others, each part in the order given (RFC 3263's).
  void order(std::vector<ResolvedHop>& hops) const;

  std::size_t size() const { return entries_.size(); }
  const BlocklistSettings& settings() const { return settings_; }

 private:
  struct Key {
    Protocol protocol;
    boost::asio::ip::address address;
    std::uint16_t port;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const;
  };
  static Key key_of(Protocol protocol, const Endpoint& endpoint);
  void list(const Key& key, std::int64_t until);
  void erase_expired(std::int64_t now);

  BlocklistSettings settings_;
  Clock clock_;
  std::unordered_map<Key, std::int64_t, KeyHash> entries_;  // key -> listed until
  // The same entries by expiry, to drop the expired and the next to expire.
  std::multimap<std::int64_t, Key> by_expiry_;
};

}  // namespace osprey::net
