// Writing challenges and credentials (declared in auth_headers.hpp): which Digest parameters are
// quoted-strings and which are tokens is fixed by RFC 7616 §3.3 and §3.4, and peers that parse
// strictly reject the other form, so the caller only gives unquoted text.

#include <string>
#include <vector>

#include "sip/auth_headers.hpp"
#include "sip/char_class.hpp"

namespace osprey::sip {
namespace {

enum class Quoting : std::uint8_t { always, never, as_needed };

bool is_any(std::string_view name, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    if (iequals(name, n)) return true;
  return false;
}

// RFC 7616 §3.3: realm, domain, nonce, opaque and qop are quoted-strings; stale, algorithm,
// charset and userhash are tokens.
Quoting challenge_quoting(std::string_view name) {
  if (is_any(name, {"realm", "domain", "nonce", "opaque", "qop"})) return Quoting::always;
  if (is_any(name, {"stale", "algorithm", "charset", "userhash"})) return Quoting::never;
  return Quoting::as_needed;
}

// RFC 7616 §3.4: username, realm, nonce, uri, response, cnonce and opaque are quoted-strings;
// algorithm, qop, nc, userhash and username* are not.
Quoting credentials_quoting(std::string_view name) {
  if (is_any(name, {"username", "realm", "nonce", "uri", "response", "cnonce", "opaque"}))
    return Quoting::always;
  if (is_any(name, {"algorithm", "qop", "nc", "userhash", "username*"})) return Quoting::never;
  return Quoting::as_needed;
}

// quoted-string with '"' and '\' escaped (RFC 3261 §25.1 quoted-pair). A quoted-string cannot
// hold CR, LF or other controls but HTAB, so they are dropped: a value must never be able to
// end the header line.
void append_quoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

// A value RFC 7616 wants as a token is written as one when it is one; otherwise (a caller's
// mistake) it is quoted so the header stays well-formed.
bool is_unquotable(std::string_view name, std::string_view text) {
  if (iequals(name, "username*")) {
    for (char c : text)
      if (c == ',' || c == '"' || c == ' ' || c == '\t' || static_cast<unsigned char>(c) < 0x21 ||
          static_cast<unsigned char>(c) > 0x7E)
        return false;
    return !text.empty();
  }
  return is_token(text);
}

std::string format(std::string_view scheme, std::span<const AuthField> fields,
                   Quoting (*quoting)(std::string_view)) {
  // One allocation for the whole value: room for every field quoted (", name=\"text\"");
  // escapes beyond that are rare enough to grow for.
  std::size_t estimate = scheme.size();
  for (const AuthField& f : fields) estimate += f.name.size() + f.text.size() + 5;
  std::string out;
  out.reserve(estimate);
  out += scheme;
  bool digest = iequals(scheme, "Digest");
  bool first = true;
  for (const AuthField& f : fields) {
    // A name that is not a token cannot be written; username* is RFC 7616's one exception.
    if (!is_token(f.name) && !iequals(f.name, "username*")) continue;
    out += first ? " " : ", ";
    first = false;
    out += f.name;
    out.push_back('=');
    // RFC 7235 §2.2: realm is a quoted-string in every scheme; the rest of the table is Digest's.
    Quoting q = digest ? quoting(f.name) : iequals(f.name, "realm") ? Quoting::always : Quoting::as_needed;
    bool quote =
        q == Quoting::always || (q == Quoting::as_needed && f.quoted) || !is_unquotable(f.name, f.text);
    if (quote) {
      append_quoted(out, f.text);
    } else {
      out += f.text;
    }
  }
  return out;
}

std::string format_parsed(const AuthParams& params, Quoting (*quoting)(std::string_view)) {
  if (!params.token68.empty()) return std::string(params.scheme) + " " + std::string(params.token68);
  std::vector<AuthField> fields;
  fields.reserve(params.params().size());
  for (const AuthParam& p : params.params()) fields.push_back(AuthField{p.name, params.text(p), p.quoted()});
  return format(params.scheme, fields, quoting);
}

}  // namespace

std::string format_challenge(std::string_view scheme, std::span<const AuthField> fields) {
  return format(scheme, fields, challenge_quoting);
}

std::string format_challenge(std::string_view scheme, std::initializer_list<AuthField> fields) {
  return format(scheme, std::span<const AuthField>(fields.begin(), fields.size()), challenge_quoting);
}

std::string format_challenge(const AuthParams& challenge) {
  return format_parsed(challenge, challenge_quoting);
}

std::string format_credentials(std::string_view scheme, std::span<const AuthField> fields) {
  return format(scheme, fields, credentials_quoting);
}

std::string format_credentials(std::string_view scheme, std::initializer_list<AuthField> fields) {
  return format(scheme, std::span<const AuthField>(fields.begin(), fields.size()), credentials_quoting);
}

std::string format_credentials(const AuthParams& credentials) {
  return format_parsed(credentials, credentials_quoting);
}

}  // namespace osprey::sip
