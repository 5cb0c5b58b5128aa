// Fuzzes the authentication header parsers (sip/auth_headers.hpp; RFC 3261 §22, §25.1 and
// RFC 7616): parse_credentials (Authorization, Proxy-Authorization), parse_challenge
// (WWW-Authenticate, Proxy-Authenticate), and validate_header for those headers and
// Authentication-Info. Properties checked:
//  - what parses strictly also parses with the tolerated quirks on;
//  - every accessor stays inside the value or the parsed object;
//  - formatting a parsed credential or challenge and parsing the result gives the same scheme,
//    the same parameter names in order and the same unquoted values (controls, which a
//    quoted-pair can carry but the formatter drops on purpose, excepted).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "sip/auth_headers.hpp"
#include "sip/validation.hpp"

namespace {

using osprey::sip::AuthParams;
using osprey::sip::AuthParseOptions;
using osprey::sip::HeaderId;
using osprey::sip::Result;

constexpr std::array<HeaderId, 5> kAuthHeaders{HeaderId::authorization, HeaderId::proxy_authorization,
                                               HeaderId::www_authenticate, HeaderId::proxy_authenticate,
                                               HeaderId::authentication_info};

bool has_control(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) return true;
  }
  return false;
}

void touch(const AuthParams& p) {
  (void)p.is_digest();
  (void)p.realm();
  (void)p.nonce();
  (void)p.username();
  (void)p.username_ext();
  (void)p.response();
  (void)p.algorithm();
  (void)p.algorithm_name();
  (void)p.stale();
  (void)p.userhash();
  (void)p.charset_utf8();
  (void)p.nc();
  (void)p.has_qop("auth");
  p.for_each_qop([](std::string_view q) {
    OSPREY_FUZZ_CHECK(!q.empty());
    return true;
  });
  for (const auto& param : p.params()) {
    (void)p.text(param);
    (void)p.unquoted(param.name);
  }
}

template <typename Parse, typename Format>
void check(std::string_view input, Parse&& parse, Format&& format) {
  AuthParseOptions lenient;
  lenient.accept_quoted_tokens = true;
  Result<AuthParams> strict = parse(input, AuthParseOptions{});
  Result<AuthParams> tolerant = parse(input, lenient);
  if (strict) OSPREY_FUZZ_CHECK(tolerant.has_value());
  if (!tolerant) return;
  AuthParseOptions options = strict ? AuthParseOptions{} : lenient;
  const AuthParams& p = strict ? *strict : *tolerant;
  touch(p);

  std::string written = format(p);
  Result<AuthParams> again = parse(written, options);
  if (!again)
    std::fprintf(stderr, "formatted value rejected: [%s] (%s)\n", written.c_str(),
                 again.error().reason.c_str());
  OSPREY_FUZZ_CHECK(again.has_value());
  OSPREY_FUZZ_CHECK(again->scheme == p.scheme);
  OSPREY_FUZZ_CHECK(again->token68 == p.token68);
  OSPREY_FUZZ_CHECK(again->params().size() == p.params().size());
  for (std::size_t i = 0; i < p.params().size(); ++i) {
    const auto& a = p.params()[i];
    const auto& b = again->params()[i];
    OSPREY_FUZZ_CHECK(a.name == b.name);
    std::string_view text = p.text(a);
    if (!has_control(text)) OSPREY_FUZZ_CHECK(again->text(b) == text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = osprey::fuzz::as_view(data, size);
  for (HeaderId id : kAuthHeaders) (void)osprey::sip::validate_header(id, input);
  check(
      input,
      [](std::string_view v, const AuthParseOptions& o) {
        return osprey::sip::parse_credentials(v, "Authorization", o);
      },
      [](const AuthParams& p) { return osprey::sip::format_credentials(p); });
  check(
      input,
      [](std::string_view v, const AuthParseOptions& o) {
        return osprey::sip::parse_challenge(v, "WWW-Authenticate", o);
      },
      [](const AuthParams& p) { return osprey::sip::format_challenge(p); });
  return 0;
}
