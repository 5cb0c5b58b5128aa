#include "registrar/aor.hpp"

#include "sip/char_class.hpp"
#include "sip/host.hpp"

namespace osprey::registrar {

std::string canonical_aor(const sip::Uri& uri) {
  if (!uri.is_sip()) return std::string(uri.text);
  std::string aor = "sip:";
  if (uri.has_user) {
    aor += sip::unescape(uri.user);
    aor += '@';
  }
  aor += sip::canonical_host(uri.host);
  return aor;
}

bool served_domain(std::string_view host, const std::vector<std::string>& domains) {
  // The plain comparison answers the usual spelling without building the canonical form.
  for (const std::string& domain : domains) {
    if (sip::iequals(host, domain)) return true;
  }
  if (domains.empty()) return false;
  const std::string canonical = sip::canonical_host(host);
  for (const std::string& domain : domains) {
    if (canonical == sip::canonical_host(domain)) return true;
  }
  return false;
}

bool registers_for(const sip::Uri& request_uri, const std::vector<std::string>& domains) {
  return request_uri.is_sip() && served_domain(request_uri.host, domains);
}

}  // namespace osprey::registrar
