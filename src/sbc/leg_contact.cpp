#include "sbc/leg_contact.hpp"

#include <algorithm>
#include <cstdlib>

#include <openssl/rand.h>

namespace osprey::sbc {

std::string leg_contact_user(unsigned worker, std::string_view leg_id) {
  std::string user(kLegUserPrefix);
  user += std::to_string(worker);
  user += '.';
  user += leg_id;
  return user;
}

std::optional<LegAddress> parse_leg_user(std::string_view user) {
  if (!user.starts_with(kLegUserPrefix)) return std::nullopt;
  user.remove_prefix(kLegUserPrefix.size());
  unsigned worker = 0;
  std::size_t digits = 0;
  while (digits < user.size() && digits < 6 && user[digits] >= '0' && user[digits] <= '9') {
    worker = worker * 10 + static_cast<unsigned>(user[digits] - '0');
    ++digits;
  }
  if (digits == 0 || digits >= user.size() || user[digits] != '.') return std::nullopt;
  const std::string_view id = user.substr(digits + 1);
  if (id.size() != kLegIdDigits) return std::nullopt;
  for (const char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return LegAddress{worker, id};
}

std::optional<LegAddress> leg_address_of(const sip::Message& request) {
  if (!request.is_request()) return std::nullopt;
  const sip::Uri& uri = request.request_uri();
  if (!uri.is_sip() || !uri.has_user) return std::nullopt;
  return parse_leg_user(uri.user);
}

std::string LegIdSource::next() {
  constexpr std::size_t kBytes = kLegIdDigits / 2;
  if (used_ + kBytes > pool_.size()) {
    // A leg id nobody can guess is the only thing between a forged BYE and a call: without a
    // working CSPRNG there is no safe way on.
    if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1) std::abort();
    used_ = 0;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(kLegIdDigits, '0');
  for (std::size_t i = 0; i < kBytes; ++i) {
    const std::uint8_t byte = pool_[used_ + i];
    id[2 * i] = kHex[byte >> 4];
    id[2 * i + 1] = kHex[byte & 0xf];
  }
  // Used bytes are wiped: a later memory disclosure gives away no live capability's source.
  std::fill_n(pool_.begin() + static_cast<std::ptrdiff_t>(used_), kBytes, std::uint8_t{0});
  used_ += kBytes;
  return id;
}

}  // namespace osprey::sbc
