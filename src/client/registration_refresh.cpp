#include "client/registration_refresh.hpp"

#include <algorithm>

#include "sip/contact.hpp"
#include "sip/numeric_headers.hpp"

namespace osprey::client {

std::uint32_t granted_expires(const sip::Message& ok, std::string_view contact, std::uint32_t requested) {
  if (auto list = sip::contacts(ok)) {
    for (const sip::Contact& listed : list->contacts) {
      if (listed.address.uri.text == contact && listed.expires) return *listed.expires;
    }
  }
  if (auto header = sip::expires(ok); header && *header) return **header;
  return requested;
}

std::chrono::seconds refresh_interval(std::uint32_t granted, net::Protocol protocol) {
  std::chrono::seconds interval{std::max<std::uint32_t>(granted / 2, 1)};
  if (net::is_reliable(protocol)) interval = std::min(interval, kStreamRefreshLimit);
  return interval;
}

}  // namespace osprey::client
