#pragma once
// URIs: sip and sips (RFC 3261 §19.1), tel (RFC 3966), and any other absoluteURI kept opaque
// (RFC 3261 §25.1, RFC 4475 §3.3.2-3.3.4). Parsing allocates nothing: every part is a view.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/host.hpp"
#include "sip/params.hpp"

namespace osprey::sip {

enum class UriScheme : std::uint8_t { sip, sips, tel, other };

struct Uri {
  UriScheme scheme = UriScheme::other;
  std::string_view text;         // the whole URI as written
  std::string_view scheme_name;  // as written ("SIP", "sip", "tel", "isbn")
  // sip/sips: the user part, still escaped; tel: the number (global or local).
  std::string_view user;
  std::string_view password;
  bool has_user = false;
  bool has_password = false;
  std::string_view host;  // IPv6 references keep their brackets
  HostKind host_kind = HostKind::none;
  std::uint16_t port = 0;
  bool has_port = false;
  std::string_view params;   // ";transport=tcp;lr" as written (with the leading ';'), or empty
  std::string_view headers;  // "Subject=x&Route=..." as written (without the '?'), or empty
  std::string_view opaque;   // other schemes: everything after "scheme:"

  bool is_sip() const { return scheme == UriScheme::sip || scheme == UriScheme::sips; }
  // The value of URI parameter `name` ("" for a parameter without value), if present.
  std::optional<std::string_view> param(std::string_view name) const;
  bool has_param(std::string_view name) const { return param(name).has_value(); }
  // RFC 3261 §19.1.2 defaults: the port a URI means when it has none (5060, or 5061 for sips).
  std::uint16_t port_or_default() const;
};

struct UriParseOptions {
  // A Request-URI must not carry headers (RFC 3261 §19.1.1 table 1, RFC 4475 §3.1.2.11).
  bool allow_headers = true;
};

Result<Uri> parse_uri(std::string_view text, UriParseOptions options = {});

// RFC 3261 §19.1.4 equivalence (sip/sips); other schemes compare case-insensitively as text.
bool uri_equivalent(const Uri& a, const Uri& b);

// %HH decoding (RFC 3261 §19.1.2). Invalid escapes are copied as is.
std::string unescape(std::string_view text);

// Which characters may stand unescaped in a URI component.
enum class UriComponent : std::uint8_t { user, password, param, header };
// Escapes every byte not allowed unescaped in `component` as %HH.
std::string escape(std::string_view raw, UriComponent component);

}  // namespace osprey::sip
