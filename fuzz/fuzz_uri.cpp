// Fuzzes parse_uri (RFC 3261 §19.1, RFC 3966) and the %HH escaping helpers. Properties checked:
//  - a parsed URI is equivalent to itself, and to a re-parse of its own text;
//  - parsing without headers allowed succeeds only if parsing with them does, and agrees;
//  - for every component type, unescape(escape(x)) == x, escape() emits only characters allowed
//    unescaped in that component (or %HH), and the escaped text is accepted by parse_uri in that
//    position; two spellings of the same user part (minimal and fully escaped) are equivalent
//    (RFC 3261 §19.1.4 compares userinfo after unescaping).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "sip/uri.hpp"

namespace {

using osprey::sip::parse_uri;
using osprey::sip::Uri;
using osprey::sip::UriComponent;
using osprey::sip::UriParseOptions;

bool same_parts(const Uri& a, const Uri& b) {
  return a.scheme == b.scheme && a.text == b.text && a.user == b.user && a.password == b.password &&
         a.has_user == b.has_user && a.has_password == b.has_password && a.host == b.host &&
         a.host_kind == b.host_kind && a.port == b.port && a.has_port == b.has_port && a.params == b.params &&
         a.headers == b.headers && a.opaque == b.opaque;
}

std::string escape_everything(std::string_view raw) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : raw) {
    auto b = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 3261 §25.1: unreserved plus the component's own extra characters.
bool allowed_unescaped(char c, UriComponent component) {
  bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  if (alnum || std::string_view("-_.!~*'()").find(c) != std::string_view::npos) return true;
  std::string_view extra;
  switch (component) {
    case UriComponent::user: extra = "&=+$,;?/"; break;
    case UriComponent::password: extra = "&=+$,"; break;
    case UriComponent::param: extra = "[]/:&+$"; break;
    case UriComponent::header: extra = "[]/?:+$"; break;
  }
  return c != '\0' && extra.find(c) != std::string_view::npos;
}

void check_escaping(std::string_view raw) {
  constexpr std::array<UriComponent, 4> kComponents{UriComponent::user, UriComponent::password,
                                                    UriComponent::param, UriComponent::header};
  for (UriComponent component : kComponents) {
    std::string escaped = osprey::sip::escape(raw, component);
    OSPREY_FUZZ_CHECK(osprey::sip::unescape(escaped) == raw);
    for (std::size_t i = 0; i < escaped.size(); ++i) {
      if (escaped[i] == '%') {
        OSPREY_FUZZ_CHECK(i + 2 < escaped.size() && is_hex(escaped[i + 1]) && is_hex(escaped[i + 2]));
        i += 2;
      } else {
        OSPREY_FUZZ_CHECK(allowed_unescaped(escaped[i], component));
      }
    }
    if (raw.empty()) continue;
    std::string text;
    switch (component) {
      case UriComponent::user: text = "sip:" + escaped + "@example.com"; break;
      case UriComponent::password: text = "sip:alice:" + escaped + "@example.com"; break;
      case UriComponent::param: text = "sip:example.com;" + escaped + "=" + escaped; break;
      case UriComponent::header: text = "sip:example.com?" + escaped + "=" + escaped; break;
    }
    auto uri = parse_uri(text);
    if (!uri)
      std::fprintf(stderr, "escaped text rejected: %s (%s)\n", text.c_str(), uri.error().reason.c_str());
    OSPREY_FUZZ_CHECK(uri.has_value());
    if (component == UriComponent::user) {
      OSPREY_FUZZ_CHECK(uri->user == escaped);
      std::string other_text = "sip:" + escape_everything(raw) + "@example.com";
      auto other = parse_uri(other_text);
      OSPREY_FUZZ_CHECK(other.has_value());
      OSPREY_FUZZ_CHECK(osprey::sip::uri_equivalent(*uri, *other));
      OSPREY_FUZZ_CHECK(osprey::sip::uri_equivalent(*other, *uri));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = osprey::fuzz::as_view(data, size);
  auto with_headers = parse_uri(input);
  auto without_headers = parse_uri(input, UriParseOptions{.allow_headers = false});
  if (without_headers) {
    OSPREY_FUZZ_CHECK(with_headers.has_value());
    OSPREY_FUZZ_CHECK(same_parts(*with_headers, *without_headers));
  }
  if (with_headers) {
    const Uri& uri = *with_headers;
    OSPREY_FUZZ_CHECK(uri.text == input);
    OSPREY_FUZZ_CHECK(!osprey::fuzz::repeats_a_parameter(uri));  // RFC 3261 §19.1.1: parse_uri refuses them
    OSPREY_FUZZ_CHECK(osprey::sip::uri_equivalent(uri, uri));
    // The same text in another buffer: equal parts, equivalent.
    std::string copy(input);
    auto again = parse_uri(copy);
    OSPREY_FUZZ_CHECK(again.has_value());
    OSPREY_FUZZ_CHECK(osprey::sip::uri_equivalent(uri, *again) && osprey::sip::uri_equivalent(*again, uri));
    // Accessors stay inside the text.
    (void)uri.param("transport");
    (void)uri.param("lr");
    (void)uri.port_or_default();
    if (uri.is_sip()) OSPREY_FUZZ_CHECK(uri.host_kind != osprey::sip::HostKind::none);
  }
  // The escaping helpers on the raw bytes, and on the unescaped form of the input.
  check_escaping(input);
  check_escaping(osprey::sip::unescape(input));
  return 0;
}
