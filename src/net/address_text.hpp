#pragma once
// Addresses as text for Via received=, Binding sources and logs. IPv4 is formatted by hand:
// boost's to_string goes through inet_ntop and sprintf, ~1,700 instructions a call, and a
// REGISTER needs the text twice (perf: 3.7 % of the registrar's CPU).

#include <cstddef>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace osprey::net {

// "192.0.2.1", "2001:db8::1" (no brackets): what to_string() gives, faster for IPv4. Inline:
// net/flow.hpp, which the transaction layer includes without linking net, uses it.
inline std::string address_text(const boost::asio::ip::address& address) {
  if (!address.is_v4()) return address.to_string();
  const auto bytes = address.to_v4().to_bytes();
  std::string text;
  text.reserve(15);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) text.push_back('.');
    const unsigned value = bytes[i];
    if (value >= 100) text.push_back(static_cast<char>('0' + value / 100));
    if (value >= 10) text.push_back(static_cast<char>('0' + value / 10 % 10));
    text.push_back(static_cast<char>('0' + value % 10));
  }
  return text;
}

// One spelling per host: an IPv4-mapped IPv6 address (::ffff:192.0.2.1, RFC 4291 §2.5.5.2) is the
// IPv4 address it maps, which is where a socket sends it anyway. Every address a URI or DNS
// names goes through this before it is compared with osprey's own or the gateway's: compared as
// written, [::ffff:192.0.2.80] would pass for another host than 192.0.2.80.
inline boost::asio::ip::address unmapped(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  return address;
}

}  // namespace osprey::net
