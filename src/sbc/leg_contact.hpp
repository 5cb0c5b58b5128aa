#pragma once
// The user part of the Contact osprey puts on each leg of a B2BUA call (sbc/b2bua.hpp):
// "b2b.w<worker>.<leg id>". The leg id is 128 random bits from OpenSSL's CSPRNG: it is the
// capability an in-dialog request must carry to reach the call at all (without it: 481), so a
// peer that saw its own leg ids learns nothing about anyone else's. The worker index lets any
// worker hand the request to the one that owns the call (SO_REUSEPORT spreads UDP sources over
// workers) before the transaction layer.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace osprey::sbc {

inline constexpr std::string_view kLegUserPrefix = "b2b.w";
inline constexpr std::size_t kLegIdDigits = 32;  // hex digits: 128 bits

struct LegAddress {
  unsigned worker = 0;
  std::string_view leg_id;  // kLegIdDigits lower-case hex digits
};

// "b2b.w3.0123...": the Contact user of leg `leg_id` on worker `worker`.
std::string leg_contact_user(unsigned worker, std::string_view leg_id);
// The worker and leg id a URI user names; nullopt unless it has exactly the form above.
std::optional<LegAddress> parse_leg_user(std::string_view user);
// The same for a request's Request-URI (sip:/sips: only).
std::optional<LegAddress> leg_address_of(const sip::Message& request);

// Fresh leg ids, drawn from OpenSSL's RAND_bytes a block at a time (one call per 64 ids).
class LegIdSource {
 public:
  std::string next();

 private:
  std::array<std::uint8_t, 1024> pool_{};
  std::size_t used_ = sizeof(pool_);
};

}  // namespace osprey::sbc
