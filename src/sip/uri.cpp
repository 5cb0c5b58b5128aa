#include "sip/uri.hpp"

#include <array>

#include "sip/char_class.hpp"

namespace osprey::sip {
namespace {

tl::unexpected<ParseError> uri_error(std::string reason, std::size_t offset) {
  return make_error(ErrorCategory::uri, std::move(reason), {}, offset);
}

// 1*(allowed / escaped); returns false on a bad escape or a character outside the class.
bool valid_escaped_run(std::string_view s, std::uint16_t cls, std::string_view extra = {}) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return false;
      if (hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) return false;
      i += 2;
      continue;
    }
    if (!is_class(c, cls) && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// True if one of `earlier`, parameters already checked by valid_uri_params (";a=b;c", each
// name and value a run of paramchar), is named `name`, ignoring case.
bool has_param_named(std::string_view earlier, std::string_view name) {
  std::size_t i = 0;
  while (i < earlier.size()) {
    std::size_t start = ++i;  // past the ';'
    while (i < earlier.size() && earlier[i] != ';') ++i;
    std::string_view item = earlier.substr(start, i - start);
    if (iequals(item.substr(0, item.find('=')), name)) return true;
  }
  return false;
}

// uri-parameters = *( ";" uri-parameter ); pname/pvalue = 1*paramchar. RFC 3261 §19.1.1: a
// parameter name appears at most once (otherwise the URI is not even equivalent to itself).
// One walk: each parameter is checked, then its name compared with the names before it.
bool valid_uri_params(std::string_view params) {
  std::size_t i = 0;
  while (i < params.size()) {
    if (params[i] != ';') return false;
    std::size_t item_begin = i;
    std::size_t start = ++i;
    while (i < params.size() && params[i] != ';') ++i;
    std::string_view item = params.substr(start, i - start);
    std::size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    if (name.empty() || !valid_escaped_run(name, kUnreserved | kParamUnreserved)) return false;
    if (eq != std::string_view::npos) {
      std::string_view value = item.substr(eq + 1);
      if (value.empty() || !valid_escaped_run(value, kUnreserved | kParamUnreserved)) return false;
    }
    if (has_param_named(params.substr(0, item_begin), name)) return false;
  }
  return true;
}

// headers = "?" header *( "&" header ); header = hname "=" hvalue.
bool valid_uri_headers(std::string_view headers) {
  if (headers.empty()) return false;
  std::size_t i = 0;
  while (i <= headers.size()) {
    std::size_t amp = headers.find('&', i);
    std::string_view item = headers.substr(i, amp == std::string_view::npos ? headers.npos : amp - i);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    if (!valid_escaped_run(item.substr(0, eq), kUnreserved | kHnvUnreserved)) return false;
    if (!valid_escaped_run(item.substr(eq + 1), kUnreserved | kHnvUnreserved)) return false;
    if (amp == std::string_view::npos) break;
    i = amp + 1;
  }
  return true;
}

Result<Uri> parse_sip_uri(Uri uri, std::string_view rest, std::size_t rest_offset, UriParseOptions options) {
  // userinfo ends at the first '@': neither user, password, host, params nor headers may hold one.
  std::size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    std::size_t colon = userinfo.find(':');
    uri.user = userinfo.substr(0, colon);
    uri.has_user = true;
    if (uri.user.empty() || !valid_escaped_run(uri.user, kUnreserved | kUserUnreserved)) {
      return uri_error("Malformed user part in URI", rest_offset);
    }
    if (colon != std::string_view::npos) {
      uri.password = userinfo.substr(colon + 1);
      uri.has_password = true;
      if (!valid_escaped_run(uri.password, kUnreserved | kPasswordExtra)) {
        return uri_error("Malformed password in URI", rest_offset + colon);
      }
    }
    rest_offset += at + 1;
    rest.remove_prefix(at + 1);
  }
  HostScan host = scan_host(rest);
  std::size_t host_len = host.length;
  uri.host = rest.substr(0, host_len);
  if (!host.kind) return uri_error("Malformed host in URI", rest_offset);
  uri.host_kind = *host.kind;
  rest.remove_prefix(host_len);
  rest_offset += host_len;
  if (!rest.empty() && rest.front() == ':') {
    std::size_t digits = 1;
    while (digits < rest.size() && is_digit(rest[digits])) ++digits;
    auto port = parse_port(rest.substr(1, digits - 1));
    if (!port) return uri_error("Malformed port in URI", rest_offset + 1);
    uri.port = *port;
    uri.has_port = true;
    rest.remove_prefix(digits);
    rest_offset += digits;
  }
  std::size_t question = rest.find('?');
  std::string_view params = rest.substr(0, question);
  if (!params.empty()) {
    if (!valid_uri_params(params)) return uri_error("Malformed URI parameters", rest_offset);
    uri.params = params;
  }
  if (question != std::string_view::npos) {
    if (!options.allow_headers)
      return uri_error("Request-URI must not contain headers", rest_offset + question);
    uri.headers = rest.substr(question + 1);
    if (!valid_uri_headers(uri.headers))
      return uri_error("Malformed URI headers", rest_offset + question + 1);
  }
  return uri;
}

// RFC 3966: telephone-subscriber = global-number / local-number, then ;params.
Result<Uri> parse_tel_uri(Uri uri, std::string_view rest, std::size_t rest_offset) {
  std::size_t semi = rest.find(';');
  uri.user = rest.substr(0, semi);
  uri.has_user = true;
  std::string_view number = uri.user;
  bool global = !number.empty() && number.front() == '+';
  if (global) number.remove_prefix(1);
  bool any_digit = false;
  for (char c : number) {
    bool visual = c == '-' || c == '.' || c == '(' || c == ')';
    bool digit = is_digit(c) || (!global && (is_class(c, kHex) || c == '*' || c == '#'));
    if (digit) any_digit = true;
    if (!digit && !visual) return uri_error("Malformed tel URI number", rest_offset);
  }
  if (!any_digit) return uri_error("Malformed tel URI number", rest_offset);
  if (semi != std::string_view::npos) {
    uri.params = rest.substr(semi);
    if (!valid_uri_params(uri.params)) return uri_error("Malformed tel URI parameters", rest_offset + semi);
  }
  // RFC 3966 §5.1.5: a local number needs a phone-context.
  if (!global && !uri.has_param("phone-context")) {
    return uri_error("Local tel URI number without phone-context", rest_offset);
  }
  return uri;
}

bool is_uric(char c) { return is_class(c, kUnreserved | kReserved) || c == '%' || c == '[' || c == ']'; }

// Compares two escaped strings after unescaping, case-sensitively or not.
bool escaped_equal(std::string_view a, std::string_view b, bool ignore_case) {
  if (a.find('%') == std::string_view::npos && b.find('%') == std::string_view::npos) {
    return ignore_case ? iequals(a, b) : a == b;
  }
  std::string ua = unescape(a);
  std::string ub = unescape(b);
  return ignore_case ? iequals(ua, ub) : ua == ub;
}

}  // namespace

std::optional<std::string_view> Uri::param(std::string_view name) const {
  auto p = find_param(params, name);
  if (!p) return std::nullopt;
  return p->value;
}

std::uint16_t Uri::port_or_default() const {
  if (has_port) return port;
  return scheme == UriScheme::sips ? 5061 : 5060;
}

Result<Uri> parse_uri(std::string_view text, UriParseOptions options) {
  Uri uri;
  uri.text = text;
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return uri_error("URI without scheme", 0);
  uri.scheme_name = text.substr(0, colon);
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  if (!is_alpha(uri.scheme_name.front())) return uri_error("Malformed URI scheme", 0);
  for (char c : uri.scheme_name)
    if (!is_class(c, kSchemeChar)) return uri_error("Malformed URI scheme", 0);
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) return uri_error("Empty URI after scheme", colon + 1);
  if (iequals(uri.scheme_name, "sip")) {
    uri.scheme = UriScheme::sip;
    return parse_sip_uri(uri, rest, colon + 1, options);
  }
  if (iequals(uri.scheme_name, "sips")) {
    uri.scheme = UriScheme::sips;
    return parse_sip_uri(uri, rest, colon + 1, options);
  }
  if (iequals(uri.scheme_name, "tel")) {
    uri.scheme = UriScheme::tel;
    return parse_tel_uri(uri, rest, colon + 1);
  }
  // absoluteURI = scheme ":" ( hier-part / opaque-part ), both made of uric characters.
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (!is_uric(rest[i])) return uri_error("Malformed URI", colon + 1 + i);
  }
  uri.scheme = UriScheme::other;
  uri.opaque = rest;
  return uri;
}

bool uri_equivalent(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) return false;
  if (a.scheme == UriScheme::other) return iequals(a.text, b.text);
  if (a.scheme == UriScheme::tel) {
    // RFC 3966 §4: numbers compare without visual separators; parameters as sets.
    auto digits = [](std::string_view n) {
      std::string out;
      for (char c : n)
        if (c != '-' && c != '.' && c != '(' && c != ')') out.push_back(ascii_lower(c));
      return out;
    };
    if (digits(a.user) != digits(b.user)) return false;
  } else {
    // §19.1.4: userinfo is case-sensitive, host case-insensitive, ports must both be present or absent.
    if (a.has_user != b.has_user || !escaped_equal(a.user, b.user, false)) return false;
    if (a.has_password != b.has_password || !escaped_equal(a.password, b.password, false)) return false;
    if (!iequals(a.host, b.host)) return false;
    if (a.has_port != b.has_port || a.port != b.port) return false;
  }
  // user, ttl, method, maddr and transport must match when present in either URI.
  constexpr std::array<std::string_view, 5> kMustMatch{"user", "ttl", "method", "maddr", "transport"};
  for (std::string_view name : kMustMatch) {
    auto pa = find_param(a.params, name);
    auto pb = find_param(b.params, name);
    if (pa.has_value() != pb.has_value()) return false;
    if (pa && !escaped_equal(pa->value, pb->value, true)) return false;
  }
  // Any other parameter present in both must match.
  bool equal = true;
  for_each_param(a.params, [&](const Param& pa) {
    auto pb = find_param(b.params, pa.name);
    if (pb && (pa.has_value != pb->has_value || !escaped_equal(pa.value, pb->value, true))) {
      equal = false;
      return false;
    }
    return true;
  });
  if (!equal) return false;
  // Headers: every header in either must be in the other with an equal value.
  auto headers_contained = [](std::string_view x, std::string_view y) {
    std::size_t i = 0;
    while (i < x.size()) {
      std::size_t amp = x.find('&', i);
      std::string_view item = x.substr(i, amp == std::string_view::npos ? x.npos : amp - i);
      std::size_t eq = item.find('=');
      std::string_view name = item.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
      bool found = false;
      std::size_t j = 0;
      while (j < y.size() && !found) {
        std::size_t amp2 = y.find('&', j);
        std::string_view other = y.substr(j, amp2 == std::string_view::npos ? y.npos : amp2 - j);
        std::size_t eq2 = other.find('=');
        std::string_view other_value =
            eq2 == std::string_view::npos ? std::string_view{} : other.substr(eq2 + 1);
        found = escaped_equal(name, other.substr(0, eq2), true) && escaped_equal(value, other_value, false);
        if (amp2 == std::string_view::npos) break;
        j = amp2 + 1;
      }
      if (!found) return false;
      if (amp == std::string_view::npos) break;
      i = amp + 1;
    }
    return true;
  };
  return headers_contained(a.headers, b.headers) && headers_contained(b.headers, a.headers);
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string escape(std::string_view raw, UriComponent component) {
  std::uint16_t cls = kUnreserved;
  switch (component) {
    case UriComponent::user: cls |= kUserUnreserved; break;
    case UriComponent::password: cls |= kPasswordExtra; break;
    case UriComponent::param: cls |= kParamUnreserved; break;
    case UriComponent::header: cls |= kHnvUnreserved; break;
  }
  constexpr char kHexDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (is_class(c, cls)) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHexDigits[b >> 4]);
      out.push_back(kHexDigits[b & 0xF]);
    }
  }
  return out;
}

}  // namespace osprey::sip
