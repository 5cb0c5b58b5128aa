#include "proxy/consumed_credentials.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "sip/auth_headers.hpp"
#include "sip/host.hpp"

namespace osprey::proxy {

namespace {

void remove_for_realms(sip::Message& request, sip::HeaderId header, std::string_view name,
                       const std::vector<std::string>& realms) {
  if (request.count(header) == 0) return;
  std::vector<std::string> kept;
  bool consumed = false;
  request.for_each_line(header, [&](std::string_view value) {
    auto credentials = sip::parse_credentials(value, name);
    const auto realm = credentials ? credentials->realm() : std::nullopt;
    if (realm && std::find(realms.begin(), realms.end(), *realm) != realms.end()) {
      consumed = true;
    } else {
      kept.emplace_back(value);
    }
    return true;
  });
  if (!consumed) return;
  request.remove_headers(header);
  for (const std::string& value : kept) request.add_header(header, value);
}

}  // namespace

void remove_consumed_credentials(sip::Message& request, const std::vector<std::string>& realms) {
  remove_for_realms(request, sip::HeaderId::proxy_authorization, "Proxy-Authorization", realms);
  remove_for_realms(request, sip::HeaderId::authorization, "Authorization", realms);
}

void remove_consumed_credentials(sip::Message& request, const net::LocalIdentity& identity,
                                 std::string_view verified_realm) {
  if (request.count(sip::HeaderId::proxy_authorization) == 0 &&
      request.count(sip::HeaderId::authorization) == 0)
    return;
  std::vector<std::string> realms;
  for (const std::string& domain : identity.domains()) realms.push_back(sip::canonical_host(domain));
  if (!verified_realm.empty()) realms.emplace_back(verified_realm);
  remove_consumed_credentials(request, realms);
}

}  // namespace osprey::proxy
