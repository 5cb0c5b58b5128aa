#include "sip/uri_header_fields.hpp"

#include "sip/char_class.hpp"

namespace osprey::sip {

std::optional<std::string> uri_header(const Uri& uri, std::string_view name) {
  // headers = hheader *( "&" hheader ); hheader = hname "=" hvalue (RFC 3261 §25.1).
  std::string_view rest = uri.headers;
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view item = rest.substr(0, amp);
    std::size_t eq = item.find('=');
    std::string_view hname = item.substr(0, eq);
    if (iequals(unescape(hname), name)) {
      if (eq == std::string_view::npos) return std::string();
      return unescape(item.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace osprey::sip
