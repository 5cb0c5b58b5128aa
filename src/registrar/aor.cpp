#include "registrar/aor.hpp"

#include "sip/char_class.hpp"
#include "sip/host.hpp"

namespace osprey::registrar {

namespace {
std::string aor_with_scheme(std::string_view scheme, const sip::Uri& uri) {
  std::string aor(scheme);
  if (uri.has_user) {
    aor += sip::unescape(uri.user);
    aor += '@';
  }
  aor += sip::canonical_host(uri.host);
  return aor;
}
}  // namespace

std::string canonical_aor(const sip::Uri& uri) {
  if (!uri.is_sip()) return std::string(uri.text);
  return aor_with_scheme(uri.scheme == sip::UriScheme::sips ? "sips:" : "sip:", uri);
}

std::string account_aor(const sip::Uri& uri) {
  if (!uri.is_sip()) return std::string(uri.text);
  return aor_with_scheme("sip:", uri);
}

bool served_domain(std::string_view host, const std::vector<std::string>& domains) {
  return sip::is_one_of(host, domains);
}

namespace {
// An IP literal in canonical form: "[" IPv6 "]", or an IPv4 address (a host name's top label
// starts with a letter, RFC 3261 §25.1, so digits and dots alone are an address).
bool names_an_address(std::string_view canonical_host) {
  if (!canonical_host.empty() && canonical_host.front() == '[') return true;
  return !canonical_host.empty() && canonical_host.find_first_not_of("0123456789.") == std::string_view::npos;
}
}  // namespace

bool aor_valid_for_request_uri(const sip::Uri& aor, const sip::Uri& request_uri,
                               const std::vector<std::string>& domains) {
  if (!aor.is_sip() || !served_domain(aor.host, domains) || !served_domain(request_uri.host, domains))
    return false;
  const std::string target = sip::canonical_host(request_uri.host);
  return names_an_address(target) || target == sip::canonical_host(aor.host);
}

bool registers_for(const sip::Uri& request_uri, const std::vector<std::string>& domains) {
  return request_uri.is_sip() && served_domain(request_uri.host, domains);
}

}  // namespace osprey::registrar
