#include "net/stun_binding.hpp"

#include <array>
#include <cstdint>

#include "net/address_text.hpp"

namespace osprey::net {

namespace {

constexpr std::size_t kHeaderSize = 20;
constexpr std::uint16_t kBindingRequest = 0x0001;
constexpr std::uint16_t kBindingSuccess = 0x0101;
constexpr std::uint16_t kXorMappedAddress = 0x0020;
constexpr std::uint16_t kFirstOptionalAttribute = 0x8000;  // §15: 0x8000-0xFFFF may be ignored
// Bigger requests are no keep-alive: not answered (bounds the work one datagram asks for).
constexpr std::size_t kMaxRequestSize = 548;

std::uint16_t read16(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                    static_cast<unsigned char>(bytes[at + 1]));
}

std::uint32_t read32(std::string_view bytes, std::size_t at) {
  return (static_cast<std::uint32_t>(read16(bytes, at)) << 16) | read16(bytes, at + 2);
}

void put16(std::string& out, std::uint16_t value) {
  out += static_cast<char>(value >> 8);
  out += static_cast<char>(value & 0xff);
}

// §15: attributes are type, length, value padded to 4 bytes; they must fill the body exactly.
// False when they do not, or when one must be understood (below 0x8000) and is not.
bool attributes_acceptable(std::string_view body) {
  std::size_t at = 0;
  while (at < body.size()) {
    if (body.size() - at < 4) return false;
    const std::uint16_t type = read16(body, at);
    const std::size_t length = read16(body, at + 2);
    const std::size_t padded = (length + 3) & ~std::size_t{3};
    if (body.size() - at - 4 < padded) return false;
    if (type < kFirstOptionalAttribute) return false;
    at += 4 + padded;
  }
  return true;
}

}  // namespace

bool looks_like_stun(std::string_view bytes) {
  return bytes.size() >= kHeaderSize && (static_cast<unsigned char>(bytes[0]) & 0xc0) == 0 &&
         read32(bytes, 4) == kStunMagicCookie;
}

std::optional<std::string> stun_binding_response(std::string_view request, const Endpoint& source) {
  if (!looks_like_stun(request) || request.size() > kMaxRequestSize) return std::nullopt;
  const std::size_t length = read16(request, 2);
  // §6: the length counts the attributes only, and is a multiple of 4.
  if (length % 4 != 0 || length != request.size() - kHeaderSize) return std::nullopt;
  if (read16(request, 0) != kBindingRequest) return std::nullopt;
  if (!attributes_acceptable(request.substr(kHeaderSize))) return std::nullopt;

  const std::string_view transaction_id = request.substr(8, 12);
  const boost::asio::ip::address address = unmapped(source.address);
  // §15.2: X-Port is the port XOR the cookie's top 16 bits; X-Address the address XOR the
  // cookie (IPv4), or XOR the cookie and the transaction id (IPv6).
  std::array<unsigned char, 16> mask{};
  for (std::size_t i = 0; i < 4; ++i) mask[i] = static_cast<unsigned char>(kStunMagicCookie >> (24 - 8 * i));
  for (std::size_t i = 0; i < 12; ++i) mask[4 + i] = static_cast<unsigned char>(transaction_id[i]);

  std::string value;
  value += '\0';
  if (address.is_v4()) {
    value += '\x01';
    put16(value, static_cast<std::uint16_t>(source.port ^ (kStunMagicCookie >> 16)));
    const auto bytes = address.to_v4().to_bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) value += static_cast<char>(bytes[i] ^ mask[i]);
  } else {
    value += '\x02';
    put16(value, static_cast<std::uint16_t>(source.port ^ (kStunMagicCookie >> 16)));
    const auto bytes = address.to_v6().to_bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) value += static_cast<char>(bytes[i] ^ mask[i]);
  }

  std::string response;
  response.reserve(kHeaderSize + 4 + value.size());
  put16(response, kBindingSuccess);
  put16(response, static_cast<std::uint16_t>(4 + value.size()));
  response.append(request.substr(4, 4));  // the magic cookie
  response.append(transaction_id);
  put16(response, kXorMappedAddress);
  put16(response, static_cast<std::uint16_t>(value.size()));
  response += value;
  return response;
}

}  // namespace osprey::net
