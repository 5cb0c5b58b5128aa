#pragma once
// Authorization and Proxy-Authorization (credentials), WWW-Authenticate and Proxy-Authenticate
// (challenge): RFC 3261 §25.1 and §22, with the Digest extensions of RFC 7616 (SHA-256,
// SHA-512-256, -sess, userhash, charset, username*) that RFC 8760 brings to SIP.
//
// The auth-params of these headers are separated by unquoted commas, so one header line is one
// credential or one challenge, never a comma-separated list (RFC 3261 §7.3.1); several lines may
// each carry one. Parsing allocates nothing unless a quoted value holds a quoted-pair or a folded
// line: names and values are views into the header value.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sip/char_class.hpp"
#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/inline_vector.hpp"

namespace osprey::sip {

class Message;

// The Digest algorithms of the IANA "HTTP Digest Hash Algorithms" registry (RFC 7616 §6.1).
enum class DigestAlgorithm : std::uint8_t {
  md5,
  md5_sess,
  sha256,
  sha256_sess,
  sha512_256,
  sha512_256_sess,
  other
};

// Case-insensitive: "MD5", "md5-sess", "SHA-256", "SHA-512-256-sess"...; anything else is `other`.
DigestAlgorithm digest_algorithm_from(std::string_view name);
// The registry spelling ("SHA-512-256-sess"); empty for `other`.
std::string_view to_string(DigestAlgorithm algorithm);
// The -sess variants hash nonce and cnonce into A1 (RFC 7616 §3.4.2).
bool is_session_algorithm(DigestAlgorithm algorithm);
// Hex digits of a response computed with `algorithm`: 32 (MD5), 64 (SHA-256, SHA-512-256), 0 if unknown.
std::size_t digest_hex_length(DigestAlgorithm algorithm);

struct AuthParam {
  std::string_view name;
  std::string_view value;  // as written: a quoted-string keeps its quotes
  // When the unquoted text differs from the bytes between the quotes (a quoted-pair or a fold),
  // it is kept in the owning AuthParams' arena at this offset.
  std::uint32_t arena_offset = 0;
  std::uint32_t arena_size = 0;
  bool in_arena = false;

  bool quoted() const { return !value.empty() && value.front() == '"'; }
};

// Tolerated departures from the grammar, each off by default (strict).
struct AuthParseOptions {
  // Accept a quoted-string where RFC 7616 §3.3/§3.4 require a token (algorithm, qop in credentials,
  // nc, stale, userhash, charset): some HTTP-derived stacks quote them (algorithm="MD5", qop="auth").
  bool accept_quoted_tokens = false;
};

// One credential or challenge: the auth-scheme and its auth-params in order.
class AuthParams {
 public:
  static constexpr std::size_t kInlineParams = 12;  // a full Digest credential fits without allocation

  std::string_view scheme;  // as written: "Digest", "digest", "NoOneKnowsThisScheme"
  // The token68 form of other schemes ("Bearer mF_9.B5f-4.1JqM", RFC 7235 §2.1, RFC 8898);
  // empty when the scheme is followed by auth-params.
  std::string_view token68;

  bool is_digest() const { return iequals(scheme, "Digest"); }
  bool is_scheme(std::string_view name) const { return iequals(scheme, name); }
  const InlineVector<AuthParam, kInlineParams>& params() const { return params_; }

  // The value as written (quotes kept), by case-insensitive name.
  std::optional<std::string_view> get(std::string_view name) const;
  // The value without quotes and quoted-pair escapes. A view into the parsed text or, when
  // unescaping changed it, into this object: valid while both live and this one is not moved.
  std::optional<std::string_view> text(std::string_view name) const;
  std::string_view text(const AuthParam& param) const;
  // Same as text(), copied; empty if absent.
  std::string unquoted(std::string_view name) const;

  // Digest parameters (RFC 7616 §3.3 challenge, §3.4 credentials), unquoted.
  std::optional<std::string_view> realm() const { return text("realm"); }
  std::optional<std::string_view> nonce() const { return text("nonce"); }
  std::optional<std::string_view> opaque() const { return text("opaque"); }
  std::optional<std::string_view> domain() const { return text("domain"); }
  std::optional<std::string_view> username() const { return text("username"); }
  // username* (RFC 7616 §3.4, RFC 5987 ext-value "UTF-8''J%C3%A4s%C3%B8n"), as written, not decoded.
  std::optional<std::string_view> username_ext() const { return get("username*"); }
  std::optional<std::string_view> uri() const { return text("uri"); }
  std::optional<std::string_view> response() const { return text("response"); }
  std::optional<std::string_view> cnonce() const { return text("cnonce"); }
  // Credentials: the chosen qop ("auth"); challenges: the offered list ("auth,auth-int").
  std::optional<std::string_view> qop() const { return text("qop"); }
  // RFC 7616 §3.3: without an algorithm parameter the algorithm is MD5.
  DigestAlgorithm algorithm() const;
  std::string_view algorithm_name() const;  // as written, "MD5" when absent
  bool stale() const { return flag("stale"); }
  bool userhash() const { return flag("userhash"); }
  bool charset_utf8() const { return text("charset").has_value(); }  // UTF-8 is the only value allowed
  // nc as a number; the parser has checked it is 8LHEX.
  std::optional<std::uint32_t> nc() const;
  // True if `value` is among the qop values (the offered list of a challenge, or the one of a credential).
  bool has_qop(std::string_view value) const;
  // Calls visit(std::string_view) for each qop value; visit returns false to stop.
  template <typename Visit>
  void for_each_qop(Visit&& visit) const;

  // Appends an auth-param; `value` as on the wire (quote it for a quoted-string). Used by the
  // parsers, and by code that builds a challenge to format. Does not check for duplicates.
  void append(std::string_view name, std::string_view value);

 private:
  bool flag(std::string_view name) const;

  InlineVector<AuthParam, kInlineParams> params_;
  std::string arena_;
};

// credentials = ("Digest" LWS digest-response) / other-response (RFC 3261 §25.1, RFC 7616 §3.4).
// `header` names the header in errors ("Authorization" or "Proxy-Authorization").
Result<AuthParams> parse_credentials(std::string_view value, std::string_view header = "Authorization",
                                     const AuthParseOptions& options = {});
// challenge = ("Digest" LWS digest-cln *(COMMA digest-cln)) / other-challenge (RFC 3261 §25.1,
// RFC 7616 §3.3). `header`: "WWW-Authenticate" or "Proxy-Authenticate".
Result<AuthParams> parse_challenge(std::string_view value, std::string_view header = "WWW-Authenticate",
                                   const AuthParseOptions& options = {});

// Every line of `id` (HeaderId::authorization or proxy_authorization), parsed in order; the
// first malformed line is the error. The results view into the message.
Result<std::vector<AuthParams>> gather_credentials(const Message& message, HeaderId id,
                                                   const AuthParseOptions& options = {});
// Every line of `id` (HeaderId::www_authenticate or proxy_authenticate), parsed in order.
Result<std::vector<AuthParams>> gather_challenges(const Message& message, HeaderId id,
                                                  const AuthParseOptions& options = {});
// RFC 3261 §22.4: of several credentials, the Digest one whose realm is `realm` (compared
// exactly, §22.1); nullopt if none. Any malformed line of `id` is an error.
Result<std::optional<AuthParams>> find_digest_credentials(const Message& message, HeaderId id,
                                                          std::string_view realm,
                                                          const AuthParseOptions& options = {});

// One auth-param to write: `text` unquoted. `quoted` asks for a quoted-string where RFC 7616
// leaves the choice open (unknown parameters); the known ones follow the RFC whatever it says.
struct AuthField {
  std::string_view name;
  std::string_view text;
  bool quoted = false;
};

// The header value "Digest realm=\"x\", nonce=\"y\", algorithm=SHA-256, qop=\"auth\"": realm,
// domain, nonce, opaque and qop quoted, stale, algorithm, charset and userhash not (RFC 7616 §3.3).
std::string format_challenge(std::string_view scheme, std::span<const AuthField> fields);
std::string format_challenge(std::string_view scheme, std::initializer_list<AuthField> fields);
std::string format_challenge(const AuthParams& challenge);
// username, realm, nonce, uri, response, cnonce and opaque quoted; algorithm, qop, nc, userhash
// and username* not (RFC 7616 §3.4).
std::string format_credentials(std::string_view scheme, std::span<const AuthField> fields);
std::string format_credentials(std::string_view scheme, std::initializer_list<AuthField> fields);
std::string format_credentials(const AuthParams& credentials);

template <typename Visit>
void AuthParams::for_each_qop(Visit&& visit) const {
  std::optional<std::string_view> list = qop();
  if (!list) return;
  std::string_view rest = *list;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty() && !visit(item)) return;
    if (comma == std::string_view::npos) return;
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace osprey::sip
