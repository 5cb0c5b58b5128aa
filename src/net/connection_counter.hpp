#pragma once
// Connection limits shared by every worker: the total number of stream connections, the number
// per remote IP address and the number per remote network (IPv4 /24, IPv6 /64). Taken when a
// connection is accepted or opened and given back when it closes, never on the per-message
// path, so a short lock is fine here.
//
// The network cap exists because the per-address one alone does not stop one party: 160
// addresses x 63 slow connections held all 10,000 slots. Addresses come cheap inside one
// network (a /24 of a hosting provider, the /64 every IPv6 host gets), networks much less so.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <array>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "net/unproven_connections.hpp"

namespace osprey::net {

struct ConnectionCaps {
  std::size_t total = 10000;
  std::size_t per_address = 64;
  std::size_t per_network = 256;  // per IPv4 /24 or IPv6 /64
};

class ConnectionCounter {
 public:
  enum class Admission {
    admitted,
    admitted_near_full,  // counted, and the total is now above the shedding mark (see below)
    address_full,        // the peer's address holds its share: refused, nothing counted
    network_full,        // the peer's network holds its share: refused, nothing counted
    all_full,            // no slot left at all: refused, nothing counted
  };

  explicit ConnectionCounter(ConnectionCaps caps);
  // Without a network cap (the client tools, tests).
  ConnectionCounter(std::size_t max_total, std::size_t max_per_ip)
      : ConnectionCounter(ConnectionCaps{max_total, max_per_ip, max_total}) {}

  // Counts a connection with `peer` if every cap allows it. The per-address and per-network
  // caps are checked before the total, so a caller that frees a slot on all_full (by shedding
  // a slow connection) never does it for a peer that would be refused anyway.
  Admission try_admit(const boost::asio::ip::address& peer);
  // try_admit, true when counted.
  bool try_acquire(const boost::asio::ip::address& peer);
  void release(const boost::asio::ip::address& peer);

  std::size_t total() const;
  std::size_t for_address(const boost::asio::ip::address& peer) const;
  std::size_t for_network(const boost::asio::ip::address& peer) const;
  // Above this many connections, admissions report admitted_near_full: nine tenths of the
  // total, so workers that shed as they admit keep the last tenth free for new clients and
  // for osprey's own outbound connections.
  std::size_t shed_above() const { return shed_above_; }

  static bool admitted(Admission admission) {
    return admission == Admission::admitted || admission == Admission::admitted_near_full;
  }

  // The connections to shed first when near full, over every worker.
  UnprovenConnections& unproven() { return unproven_; }

 private:
  ConnectionCaps caps_;
  std::size_t shed_above_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  // Keyed by the 16 bytes of the address (IPv4 as v4-mapped IPv6): Boost 1.74 has no std::hash
  // for it. A network key is the address's first 15 bytes for IPv4 (the /24) and first 8 for
  // IPv6 (the /64); the lengths differ, so the two families never share a key.
  static std::string address_key(const boost::asio::ip::address& peer);
  static std::string network_key(const boost::asio::ip::address& peer);
  std::unordered_map<std::string, std::size_t> per_address_;
  std::unordered_map<std::string, std::size_t> per_network_;
  UnprovenConnections unproven_;
};

}  // namespace osprey::net
