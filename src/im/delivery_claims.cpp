#include "im/delivery_claims.hpp"

namespace osprey::im {

bool DeliveryClaims::try_claim(std::string_view aor) {
  const std::lock_guard lock(mutex_);
  return aors_.emplace(aor).second;
}

void DeliveryClaims::release(std::string_view aor) {
  const std::lock_guard lock(mutex_);
  aors_.erase(std::string(aor));
}

bool DeliveryClaims::claimed(std::string_view aor) const {
  const std::lock_guard lock(mutex_);
  return aors_.count(std::string(aor)) != 0;
}

}  // namespace osprey::im
