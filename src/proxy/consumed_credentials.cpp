#include "proxy/consumed_credentials.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "sip/auth_headers.hpp"

namespace osprey::proxy {

void remove_consumed_credentials(sip::Message& request, const std::vector<std::string>& realms) {
  if (request.count(sip::HeaderId::proxy_authorization) == 0) return;
  std::vector<std::string> kept;
  bool consumed = false;
  request.for_each_line(sip::HeaderId::proxy_authorization, [&](std::string_view value) {
    auto credentials = sip::parse_credentials(value, "Proxy-Authorization");
    const auto realm = credentials ? credentials->realm() : std::nullopt;
    if (realm && std::find(realms.begin(), realms.end(), *realm) != realms.end()) {
      consumed = true;
    } else {
      kept.emplace_back(value);
    }
    return true;
  });
  if (!consumed) return;
  request.remove_headers(sip::HeaderId::proxy_authorization);
  for (const std::string& value : kept) request.add_header(sip::HeaderId::proxy_authorization, value);
}

}  // namespace osprey::proxy
