#pragma once
// One source address as a hash-table key for the per-address tables of this layer (bans, failure
// windows, rate buckets). An IPv4 address and its IPv4-mapped IPv6 form (::ffff:192.0.2.1,
// RFC 4291 §2.5.5.2) are the same peer: a dual-stack socket reports IPv4 peers that way, and a
// peer must not escape a ban or double its rate by reaching us over the other listener. So both
// become the same 16 bytes, and the IPv6 scope id (which only names our own interface) is dropped.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <boost/asio/ip/address.hpp>

namespace osprey::security {

// ::ffff:192.0.2.1 -> 192.0.2.1, and an IPv6 address without its scope id; anything else unchanged.
inline boost::asio::ip::address canonical_address(const boost::asio::ip::address& address) {
  if (address.is_v4()) return address;
  const boost::asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6);
  return boost::asio::ip::address_v6(v6.to_bytes());
}

struct AddressKey {
  std::array<unsigned char, 16> bytes{};

  static AddressKey of(const boost::asio::ip::address& address) {
    AddressKey key;
    if (address.is_v4()) {
      // The IPv4-mapped layout: ten zero bytes, two 0xff, the four IPv4 bytes.
      key.bytes[10] = 0xff;
      key.bytes[11] = 0xff;
      const auto v4 = address.to_v4().to_bytes();
      std::memcpy(key.bytes.data() + 12, v4.data(), v4.size());
    } else {
      key.bytes = address.to_v6().to_bytes();
    }
    return key;
  }

  friend bool operator==(const AddressKey&, const AddressKey&) = default;
};

// A hash seeded per table. The keys are chosen by whoever sends us packets (any source address of
// a /64, or spoofed ones over UDP); a per-instance random seed keeps them from precomputing a set
// of addresses that all land in one bucket or one shard. Boost 1.74 has no std::hash for
// addresses, and std::hash of the bytes is unseeded.
struct AddressKeyHash {
  std::uint64_t seed = 0;

  std::size_t operator()(const AddressKey& key) const noexcept {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::memcpy(&high, key.bytes.data(), 8);
    std::memcpy(&low, key.bytes.data() + 8, 8);
    return static_cast<std::size_t>(mix(mix(seed ^ high) ^ low));
  }

  // A multiply / xor-shift finaliser: every input bit reaches every output bit.
  static std::uint64_t mix(std::uint64_t x) noexcept {
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 32;
    return x;
  }
};

}  // namespace osprey::security
