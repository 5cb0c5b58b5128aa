#pragma once
// Addresses as text for Via received=, Binding sources and logs, and back. IPv4 is formatted
// and read by hand: boost's to_string goes through inet_ntop and sprintf, ~1,700 instructions a
// call, and a REGISTER needs the text twice (perf: 3.7 % of the registrar's CPU); its
// make_address tries inet_pton for IPv6 and then for IPv4, ~1,100 instructions, five times on
// every relayed MESSAGE (loop check, Via received=, the binding's address, the target).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// An IP address written as text: an IPv4 address is read by hand with exactly inet_pton's
// syntax (four decimal octets of at most 255, none with a leading zero, nothing else), anything
// else by boost's make_address (IPv6, with or without a zone); nullopt when it is no address.
// No brackets: an IPv6 reference's address is sip::without_brackets(host).
inline std::optional<boost::asio::ip::address> parse_address(std::string_view text) {
  std::uint32_t value = 0;
  std::uint32_t octet = 0;
  std::size_t digits = 0;
  std::size_t dots = 0;
  bool ipv4 = !text.empty() && text.size() <= 15;
  for (std::size_t i = 0; ipv4 && i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      if (digits == 1 && octet == 0) ipv4 = false;  // a leading zero
      octet = octet * 10 + static_cast<std::uint32_t>(c - '0');
      ipv4 = ipv4 && octet <= 255;
      ++digits;
    } else if (c == '.' && digits != 0 && dots < 3) {
      value = value << 8 | octet;
      octet = 0;
      digits = 0;
      ++dots;
    } else {
      ipv4 = false;
    }
  }
  if (ipv4 && dots == 3 && digits != 0) return boost::asio::ip::address_v4(value << 8 | octet);
  // Not IPv4 as written. A text without ':' is no IPv6 address either, and make_address would
  // refuse it the same way: no string is built for a host name.
  if (text.find(':') == std::string_view::npos) return std::nullopt;
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(std::string(text), error);
  if (error) return std::nullopt;
  return address;
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

// The IPv4 address an IPv6 one carries on its way to an IPv4 host, if it is one of those forms:
// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, RFC 4291 §2.5.5), SIIT
// (::ffff:0:a.b.c.d, RFC 2765), and NAT64's well-known prefix 64:ff9b::/96 (RFC 6052 §2.1) and a
// /96 of the local-use 64:ff9b:1::/48 (RFC 8215). A check that keeps osprey away from an IPv4
// host (the gateway) must see through each: a NAT64 network delivers them there. (A network's
// own NAT64 prefix cannot be known here.)
inline std::optional<boost::asio::ip::address_v4> embedded_ipv4(const boost::asio::ip::address& address) {
  if (!address.is_v6()) return std::nullopt;
  const auto b = address.to_v6().to_bytes();
  const auto zero = [&b](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
      if (b[i] != 0) return false;
    return true;
  };
  const bool mapped = zero(0, 10) && b[10] == 0xff && b[11] == 0xff;
  const bool compatible = zero(0, 12) && !zero(12, 16) && !(zero(12, 15) && b[15] <= 1);  // not :: or ::1
  const bool siit = zero(0, 8) && b[8] == 0xff && b[9] == 0xff && zero(10, 12);
  const bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
                     (zero(4, 12) || (b[4] == 0x00 && b[5] == 0x01 && zero(6, 12)));
  if (!mapped && !compatible && !siit && !nat64) return std::nullopt;
  return boost::asio::ip::address_v4({b[12], b[13], b[14], b[15]});
}

}  // namespace osprey::net
