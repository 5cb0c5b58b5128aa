#include "sip/auth_headers.hpp"

#include <limits>

#include "sip/message.hpp"
#include "sip/scanner.hpp"
#include "sip/typed_header_support.hpp"

namespace osprey::sip {
namespace {

// A bound on the work one header line can cause (the duplicate check is quadratic). A full
// Digest credential has 11 parameters; 32 leaves room for extensions.
constexpr std::size_t kMaxAuthParams = 32;

enum class Kind : std::uint8_t { credentials, challenge };

// How a Digest parameter's value must be written.
enum class Form : std::uint8_t {
  any,         // auth-param: token / quoted-string
  quoted,      // quoted-string
  token,       // token
  hex_quoted,  // request-digest = LDQUOT *LHEX RDQUOT (RFC 8760 lifts RFC 3261's 32LHEX)
  nc,          // nc-value = 8LHEX
  boolean,     // "true" / "false", case-insensitive like every ABNF literal
  qop_list,    // qop-options = "qop" EQUAL LDQUOT qop-value *("," qop-value) RDQUOT
  charset,     // charset = "charset" "=" "UTF-8" (RFC 7616 §3.3)
  ext_value,   // username* = ext-value (RFC 7616 §3.4, RFC 5987 §3.2)
};

Form digest_form(std::string_view name, Kind kind) {
  auto is = [&](std::string_view n) { return iequals(name, n); };
  if (is("realm") || is("nonce") || is("opaque")) return Form::quoted;
  if (is("algorithm")) return Form::token;
  if (is("userhash")) return Form::boolean;
  if (kind == Kind::credentials) {
    if (is("username") || is("uri") || is("cnonce")) return Form::quoted;
    if (is("response")) return Form::hex_quoted;
    if (is("qop")) return Form::token;
    if (is("nc")) return Form::nc;
    if (is("username*")) return Form::ext_value;
  } else {
    if (is("domain")) return Form::quoted;
    if (is("qop")) return Form::qop_list;
    if (is("stale")) return Form::boolean;
    if (is("charset")) return Form::charset;
  }
  return Form::any;
}

// Without a branch per character: the digits and letters of a hash are random, so a branch on
// which range a character falls in is mispredicted about a third of the time, which made this
// check of a 64-digit response cost as much as the rest of the credential's parsing.
bool all_lhex(std::string_view s) {
  bool all = true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    all &= (static_cast<unsigned>(u - '0') < 10U) | (static_cast<unsigned>(u - 'a') < 6U);
  }
  return all;
}

// RFC 5987 §3.2: ext-value = charset "'" [ language ] "'" value-chars, where value-chars are
// attr-char (ALPHA / DIGIT / "!#$&+-.^_`|~") or pct-encoded.
bool is_ext_value(std::string_view v) {
  std::size_t q1 = v.find('\'');
  if (q1 == std::string_view::npos || q1 == 0) return false;
  std::size_t q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return false;
  for (char c : v.substr(0, q1))
    if (!is_alpha(c) && !is_digit(c) && std::string_view("!#$%&+-^_`{}~").find(c) == std::string_view::npos)
      return false;
  for (char c : v.substr(q1 + 1, q2 - q1 - 1))
    if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
  std::string_view chars = v.substr(q2 + 1);
  for (std::size_t i = 0; i < chars.size(); ++i) {
    char c = chars[i];
    if (c == '%') {
      if (i + 2 >= chars.size() || hex_value(chars[i + 1]) < 0 || hex_value(chars[i + 2]) < 0) return false;
      i += 2;
    } else if (!is_alpha(c) && !is_digit(c) &&
               std::string_view("!#$&+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" (RFC 7235 §2.1).
bool is_token68_char(char c) {
  return is_alpha(c) || is_digit(c) || std::string_view("-._~+/").find(c) != std::string_view::npos;
}

// If the rest of the value is one token68, takes it.
std::optional<std::string_view> take_token68(Scanner& s) {
  std::size_t start = s.pos();
  while (!s.at_end() && is_token68_char(s.peek())) s.advance();
  if (s.pos() == start) return std::nullopt;
  while (s.peek() == '=' && !s.at_end()) s.advance();
  std::size_t end = s.pos();
  s.skip_lws();
  if (!s.at_end()) {
    s.set_pos(start);
    return std::nullopt;
  }
  return s.text().substr(start, end - start);
}

// The inner text of a qop-options list must be qop-value *("," qop-value), each a token; LWS
// around the commas is tolerated as in RFC 7616 §3.9.1's own example (qop="auth, auth-int").
bool is_qop_list(std::string_view inner) {
  if (inner.empty()) return false;
  std::size_t i = 0;
  while (true) {
    while (i < inner.size() && (inner[i] == ' ' || inner[i] == '\t' || inner[i] == '\r' || inner[i] == '\n'))
      ++i;
    std::size_t start = i;
    while (i < inner.size() && is_token_char(inner[i])) ++i;
    if (i == start) return false;
    while (i < inner.size() && (inner[i] == ' ' || inner[i] == '\t' || inner[i] == '\r' || inner[i] == '\n'))
      ++i;
    if (i == inner.size()) return true;
    if (inner[i] != ',') return false;
    ++i;
  }
}

struct ParseContext {
  Kind kind;
  std::string_view header;
  const AuthParseOptions& options;
};

// Checks one Digest parameter's value against its Form; returns the defect, empty if none.
std::string check_form(Form form, std::string_view name, std::string_view raw,
                       const AuthParseOptions& options) {
  bool quoted = !raw.empty() && raw.front() == '"';
  std::string_view bare = quoted ? strip_quotes(raw) : raw;
  auto token_form = [&]() -> std::string {
    if (quoted && !options.accept_quoted_tokens) return std::string(name) + " must not be quoted";
    if (quoted && !is_token(bare)) return std::string(name) + " must be a token";
    return {};
  };
  switch (form) {
    case Form::any: return {};
    case Form::quoted:
      if (!quoted) return std::string(name) + " must be a quoted-string";
      return {};
    case Form::token: return token_form();
    case Form::hex_quoted:
      if (!quoted) return std::string(name) + " must be a quoted-string";
      if (!all_lhex(bare)) return std::string(name) + " must be lower-case hex digits";
      return {};
    case Form::nc: {
      std::string defect = token_form();
      if (!defect.empty()) return defect;
      if (bare.size() != 8 || !all_lhex(bare)) return "nc must be 8 lower-case hex digits";
      return {};
    }
    case Form::boolean: {
      std::string defect = token_form();
      if (!defect.empty()) return defect;
      if (!iequals(bare, "true") && !iequals(bare, "false"))
        return std::string(name) + " must be true or false";
      return {};
    }
    case Form::qop_list:
      if (!quoted) return "qop must be a quoted list";
      if (!is_qop_list(bare)) return "malformed qop list";
      return {};
    case Form::charset: {
      std::string defect = token_form();
      if (!defect.empty()) return defect;
      if (!iequals(bare, "UTF-8")) return "charset must be UTF-8";
      return {};
    }
    case Form::ext_value:
      if (quoted || !is_ext_value(raw)) return std::string(name) + " must be an RFC 5987 ext-value";
      return {};
  }
  return {};
}

Result<AuthParams> parse_auth(std::string_view value, const ParseContext& ctx) {
  if (value.size() > std::numeric_limits<std::uint32_t>::max()) {
    return malformed(ctx.header, "value too long", 0);
  }
  AuthParams result;
  Scanner s(value);
  s.skip_lws();
  result.scheme = s.take_token();
  if (result.scheme.empty()) return malformed(ctx.header, "missing auth-scheme", s.pos());
  bool digest = result.is_digest();
  // RFC 3261 §25.1: the scheme and the first parameter are separated by LWS.
  std::size_t after_scheme = s.pos();
  if (!s.skip_lws()) {
    if (s.at_end()) return malformed(ctx.header, "auth-scheme without parameters", after_scheme);
    return malformed(ctx.header, "expected whitespace after auth-scheme", after_scheme);
  }
  if (s.at_end()) return malformed(ctx.header, "auth-scheme without parameters", after_scheme);
  if (!digest) {
    if (auto token = take_token68(s)) {
      result.token68 = *token;
      return result;
    }
  }
  while (true) {
    std::size_t name_at = s.pos();
    std::string_view name = s.take_token();
    if (name.empty()) return malformed(ctx.header, "expected a parameter name", name_at);
    // username* is the one name with a character outside token (RFC 7616 §3.4).
    if (digest && iequals(name, "username") && s.peek() == '*') {
      s.advance();
      name = value.substr(name_at, s.pos() - name_at);
    }
    if (!s.consume_separator('='))
      return malformed(ctx.header, "missing '=' after " + std::string(name), s.pos());
    Form form = digest ? digest_form(name, ctx.kind) : Form::any;
    std::size_t value_at = s.pos();
    std::string_view raw;
    if (s.peek() == '"') {
      auto quoted = s.take_quoted_string();
      if (!quoted) return malformed(ctx.header, "unterminated quoted-string", value_at);
      raw = *quoted;
    } else if (form == Form::ext_value) {
      raw = s.take_until_any(", \t\r\n\"");
    } else {
      raw = s.take_token();
    }
    if (raw.empty()) return malformed(ctx.header, "missing value for " + std::string(name), value_at);
    if (digest) {
      std::string defect = check_form(form, name, raw, ctx.options);
      if (!defect.empty()) return malformed(ctx.header, defect, value_at);
    }
    // RFC 7235 §2.1: each parameter name MUST only occur once per challenge (and credential).
    for (const AuthParam& p : result.params()) {
      if (iequals(p.name, name)) return malformed(ctx.header, "duplicate " + std::string(name), name_at);
    }
    if (result.params().size() == kMaxAuthParams)
      return malformed(ctx.header, "too many parameters", name_at);
    result.append(name, raw);

    std::size_t after_value = s.pos();
    s.skip_lws();
    if (s.at_end()) break;
    s.set_pos(after_value);
    if (!s.consume_separator(',')) return malformed(ctx.header, "expected ',' between parameters", s.pos());
  }
  // RFC 7616 §3.4: username and username* MUST NOT both be present.
  if (digest && result.get("username") && result.get("username*")) {
    return malformed(ctx.header, "both username and username*", 0);
  }
  return result;
}

}  // namespace

Result<AuthParams> parse_credentials(std::string_view value, std::string_view header,
                                     const AuthParseOptions& options) {
  return parse_auth(value, ParseContext{Kind::credentials, header, options});
}

Result<AuthParams> parse_challenge(std::string_view value, std::string_view header,
                                   const AuthParseOptions& options) {
  return parse_auth(value, ParseContext{Kind::challenge, header, options});
}

Result<std::vector<AuthParams>> gather_credentials(const Message& message, HeaderId id,
                                                   const AuthParseOptions& options) {
  return gather_lines<AuthParams>(
      message, id, [&](std::string_view v) { return parse_credentials(v, canonical_name(id), options); });
}

Result<std::vector<AuthParams>> gather_challenges(const Message& message, HeaderId id,
                                                  const AuthParseOptions& options) {
  return gather_lines<AuthParams>(
      message, id, [&](std::string_view v) { return parse_challenge(v, canonical_name(id), options); });
}

Result<std::optional<AuthParams>> find_digest_credentials(const Message& message, HeaderId id,
                                                          std::string_view realm,
                                                          const AuthParseOptions& options) {
  auto all = gather_credentials(message, id, options);
  if (!all) return tl::unexpected<ParseError>(std::move(all.error()));
  for (AuthParams& credentials : *all) {
    if (credentials.is_digest() && credentials.realm() == realm)
      return std::optional<AuthParams>(std::move(credentials));
  }
  return std::optional<AuthParams>();
}

}  // namespace osprey::sip
