#include "sip/aor.hpp"

#include "sip/char_class.hpp"
#include "sip/host.hpp"

namespace osprey::sip {

namespace {
std::string aor_with_scheme(std::string_view scheme, const Uri& uri) {
  std::string aor(scheme);
  if (uri.has_user) {
    aor += unescape(uri.user);
    aor += '@';
  }
  aor += canonical_host(uri.host);
  return aor;
}
}  // namespace

std::string canonical_aor(const Uri& uri) {
  if (!uri.is_sip()) return std::string(uri.text);
  return aor_with_scheme(uri.scheme == UriScheme::sips ? "sips:" : "sip:", uri);
}

std::string account_aor(const Uri& uri) {
  if (!uri.is_sip()) return std::string(uri.text);
  return aor_with_scheme("sip:", uri);
}

bool served_domain(std::string_view host, const std::vector<std::string>& domains) {
  // The plain comparison answers the usual spelling without building the canonical form.
  for (const std::string& domain : domains) {
    if (iequals(host, domain)) return true;
  }
  if (domains.empty()) return false;
  const std::string canonical = canonical_host(host);
  for (const std::string& domain : domains) {
    if (canonical == canonical_host(domain)) return true;
  }
  return false;
}

}  // namespace osprey::sip
