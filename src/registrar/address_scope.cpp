#include "registrar/address_scope.hpp"
#include "net/address_text.hpp"
#include "sip/host.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace osprey::registrar {
namespace {

// An IP literal as 16 bytes (IPv4 as IPv4-mapped IPv6), or nullopt.
std::optional<std::array<std::uint8_t, 16>> parse_address(std::string_view host) {
  host = sip::without_brackets(host);
  if (host.empty() || host.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
  std::array<std::uint8_t, 16> bytes{};
  if (host.find(':') == std::string_view::npos) {
    const auto v4 = net::parse_address(host);  // no string built: read by hand
    if (!v4 || !v4->is_v4()) return std::nullopt;
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    const auto octets = v4->to_v4().to_bytes();
    for (std::size_t i = 0; i < 4; ++i) bytes[12 + i] = octets[i];
    return bytes;
  }
  const std::string text(host);
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;
  for (int i = 0; i < 16; ++i) bytes[i] = v6.s6_addr[i];
  return bytes;
}

bool is_v4_mapped(const std::array<std::uint8_t, 16>& bytes) {
  for (int i = 0; i < 10; ++i)
    if (bytes[i] != 0) return false;
  return bytes[10] == 0xff && bytes[11] == 0xff;
}

bool private_v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  if (a == 10) return true;                       // RFC 1918
  if (a == 172 && (b & 0xf0) == 16) return true;  // RFC 1918: 172.16/12
  if (a == 192 && b == 168) return true;          // RFC 1918
  if (a == 100 && (b & 0xc0) == 64) return true;  // RFC 6598: 100.64/10
  if (a == 169 && b == 254) return true;          // RFC 3927 link-local
  return a == 0 && b == 0 && c == 0 && d == 0;    // unspecified
}

}  // namespace

bool is_private_address(std::string_view host) {
  const auto bytes = parse_address(host);
  if (!bytes) return false;
  const auto& a = *bytes;
  if (is_v4_mapped(a)) return private_v4(a[12], a[13], a[14], a[15]);
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return true;  // fe80::/10 link-local
  if ((a[0] & 0xfe) == 0xfc) return true;                  // fc00::/7 unique local
  for (std::uint8_t byte : a)
    if (byte != 0) return false;
  return true;  // ::
}

bool is_ip_literal(std::string_view host) { return parse_address(host).has_value(); }

std::string canonical_address(std::string_view host) {
  const auto bytes = parse_address(host);
  if (!bytes) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (is_v4_mapped(*bytes)) {
    ::inet_ntop(AF_INET, bytes->data() + 12, text, sizeof text);
  } else {
    ::inet_ntop(AF_INET6, bytes->data(), text, sizeof text);
  }
  return text;
}

}  // namespace osprey::registrar
