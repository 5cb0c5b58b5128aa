#include "client/registration_refresh.hpp"

#include <algorithm>

namespace osprey::client {

std::chrono::seconds refresh_interval(std::uint32_t granted, net::Protocol protocol) {
  std::chrono::seconds interval{std::max<std::uint32_t>(granted / 2, 1)};
  if (net::is_reliable(protocol)) interval = std::min(interval, kStreamRefreshLimit);
  return interval;
}

}  // namespace osprey::client
