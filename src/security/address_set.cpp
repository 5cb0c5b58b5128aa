#include "security/address_set.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "security/address_key.hpp"

namespace osprey::security {
namespace {

namespace ip = boost::asio::ip;

// ::ffff:0:0/96, where the IPv4-mapped addresses live (RFC 4291 §2.5.5.2).
constexpr unsigned short kMappedPrefix = 96;

// Whether `network` holds all of ::ffff:0:0/96 (::/0 and ::/80 do).
bool holds_mapped_range(const ip::network_v6& network) {
  if (network.prefix_length() > kMappedPrefix) return false;
  const ip::address_v6 mapped_start = ip::make_address_v6(ip::v4_mapped, ip::address_v4::any());
  return ip::network_v6(mapped_start, network.prefix_length()).network() == network.address();
}

tl::unexpected<std::string> bad_entry(std::string_view entry, std::string_view why) {
  return tl::unexpected(std::string(entry) + ": " + std::string(why));
}

}  // namespace

tl::expected<AddressSet, std::string> AddressSet::parse(std::span<const std::string> cidrs) {
  AddressSet set;
  for (const std::string& entry : cidrs) {
    const std::size_t slash = entry.find('/');
    const std::string_view address_text = std::string_view(entry).substr(0, slash);
    boost::system::error_code error;
    const ip::address parsed = ip::make_address(address_text, error);
    if (address_text.empty() || error) return bad_entry(entry, "not an IPv4 or IPv6 address");
    const bool written_as_v6 = parsed.is_v6();
    const unsigned maximum = written_as_v6 ? 128 : 32;

    unsigned prefix = maximum;  // a bare address is a single host
    if (slash != std::string::npos) {
      const std::string_view digits = std::string_view(entry).substr(slash + 1);
      const char* end = digits.data() + digits.size();
      const auto [stop, status] = std::from_chars(digits.data(), end, prefix);
      if (digits.empty() || status != std::errc() || stop != end) {
        // from_chars accepts neither a sign nor spaces, so "/-1" and "/ 8" land here too.
        if (status == std::errc::result_out_of_range) return bad_entry(entry, "prefix length out of range");
        return bad_entry(entry, "prefix length is not a number");
      }
      if (prefix > maximum) return bad_entry(entry, "prefix length out of range");
    }

    if (written_as_v6) {
      // The scope id of a link-local address names one of our interfaces, not part of the network.
      const ip::network_v6 network(ip::address_v6(parsed.to_v6().to_bytes()),
                                   static_cast<unsigned short>(prefix));
      if (network.network() != network.address()) {
        return bad_entry(entry, "host bits set (did you mean " + network.canonical().to_string() + "?)");
      }
      set.add(network);
    } else {
      const ip::network_v4 network(parsed.to_v4(), static_cast<unsigned short>(prefix));
      if (network.network() != network.address()) {
        return bad_entry(entry, "host bits set (did you mean " + network.canonical().to_string() + "?)");
      }
      set.v4_.push_back(network);
    }
  }
  return set;
}

void AddressSet::add(const ip::network_v6& network) {
  const unsigned short prefix = network.prefix_length();
  if (prefix >= kMappedPrefix && network.address().is_v4_mapped()) {
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8: the addresses it matches are looked up as IPv4.
    v4_.emplace_back(ip::make_address_v4(ip::v4_mapped, network.address()),
                     static_cast<unsigned short>(prefix - kMappedPrefix));
    return;
  }
  if (holds_mapped_range(network)) {
    // Then it holds every IPv4 address, which contains() looks up in their IPv4 form.
    v4_.emplace_back(ip::address_v4::any(), 0);
  }
  v6_.push_back(network);
}

bool AddressSet::contains(const ip::address& address) const {
  if (empty()) return false;  // the common case on the per-message path: no exemptions configured
  const ip::address canonical = canonical_address(address);
  if (canonical.is_v4()) {
    const ip::address_v4 v4 = canonical.to_v4();
    return std::any_of(v4_.begin(), v4_.end(), [&v4](const ip::network_v4& network) {
      return ip::network_v4(v4, network.prefix_length()).network() == network.address();
    });
  }
  const ip::address_v6 v6 = canonical.to_v6();
  return std::any_of(v6_.begin(), v6_.end(), [&v6](const ip::network_v6& network) {
    return ip::network_v6(v6, network.prefix_length()).network() == network.address();
  });
}

}  // namespace osprey::security
