#include "registrar/aor.hpp"

#include "sip/aor.hpp"
#include "sip/char_class.hpp"
#include "sip/host.hpp"

namespace osprey::registrar {

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
  if (!aor.is_sip() || !sip::served_domain(aor.host, domains) ||
      !sip::served_domain(request_uri.host, domains))
    return false;
  // The same spelling is the same host (§19.1.4: hosts compare case-insensitively): what nearly
  // every REGISTER sends, answered without building two canonical forms.
  if (sip::iequals(request_uri.host, aor.host)) return true;
  const std::string target = sip::canonical_host(request_uri.host);
  return names_an_address(target) || target == sip::canonical_host(aor.host);
}

bool registers_for(const sip::Uri& request_uri, const std::vector<std::string>& domains) {
  return request_uri.is_sip() && sip::served_domain(request_uri.host, domains);
}

}  // namespace osprey::registrar
