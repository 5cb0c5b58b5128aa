#pragma once
// A set of IPv4 and IPv6 networks from the configuration ("10.0.0.0/8", "2001:db8::/32", a bare
// address meaning /32 or /128): the allow-lists of the ban table and the rate limiter. Networks
// and address arithmetic are Boost.Asio's (network_v4 / network_v6). An IPv4-mapped IPv6
// address or network (::ffff:10.0.0.0/104) is the IPv4 one (RFC 4291 §2.5.5.2), both in the
// configuration and in the addresses asked about.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <span>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <tl/expected.hpp>

namespace osprey::security {

class AddressSet {
 public:
  AddressSet() = default;  // empty: contains nothing

  // Every entry must be valid; the error names the first bad one ("10.0.0.0/33: prefix length
  // out of range"). An entry with host bits set ("10.1.2.3/8") is refused rather than rounded
  // down: in an allow-list, a typo must not silently exempt a whole network.
  static tl::expected<AddressSet, std::string> parse(std::span<const std::string> cidrs);

  bool contains(const boost::asio::ip::address& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  void add(const boost::asio::ip::network_v6& network);

  std::vector<boost::asio::ip::network_v4> v4_;  // canonical: no host bits
  std::vector<boost::asio::ip::network_v6> v6_;  // canonical, never inside ::ffff:0:0/96
};

}  // namespace osprey::security
