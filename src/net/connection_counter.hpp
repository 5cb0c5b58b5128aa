#pragma once
// Connection limits shared by every worker: the total number of stream connections and the
// number per remote IP address. Taken when a connection is accepted or opened and given back
// when it closes, never on the per-message path, so a short lock is fine here.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace osprey::net {

class ConnectionCounter {
 public:
  ConnectionCounter(std::size_t max_total, std::size_t max_per_ip)
      : max_total_(max_total), max_per_ip_(max_per_ip) {}

  // False (and nothing counted) when either limit is reached.
  bool try_acquire(const boost::asio::ip::address& peer);
  void release(const boost::asio::ip::address& peer);

  std::size_t total() const;
  std::size_t for_address(const boost::asio::ip::address& peer) const;

 private:
  std::size_t max_total_;
  std::size_t max_per_ip_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  // Keyed by the 16 bytes of the address (IPv4 as v4-mapped IPv6): Boost 1.74 has no std::hash for it.
  static std::string key_of(const boost::asio::ip::address& peer);
  std::unordered_map<std::string, std::size_t> per_ip_;
};

}  // namespace osprey::net
