#include "registrar/aor.hpp"

#include "sip/char_class.hpp"

namespace osprey::registrar {

std::string canonical_aor(const sip::Uri& uri) {
  if (!uri.is_sip()) return std::string(uri.text);
  std::string aor = "sip:";
  if (uri.has_user) {
    aor += sip::unescape(uri.user);
    aor += '@';
  }
  for (char c : uri.host) aor += sip::ascii_lower(c);
  return aor;
}

bool served_domain(std::string_view host, const std::vector<std::string>& domains) {
  for (const std::string& domain : domains) {
    if (sip::iequals(host, domain)) return true;
  }
  return false;
}

}  // namespace osprey::registrar
