#include "sbc/identity_uri.hpp"

namespace osprey::sbc {
namespace {

// What may appear in the rebuilt URI: the parser accepted it already, this is the second lock
// against anything that would end the header or the angle brackets.
bool safe_uri_text(std::string_view text) {
  if (text.empty() || text.size() > kMaxIdentityUriLength) return false;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '<' || c == '>' || c == '"' || c == ',') return false;
  }
  return true;
}

// The cut at kMaxDisplayNameLength may split a UTF-8 sequence (RFC 3261 §25.1 allows UTF-8 in a
// quoted-string): drop its incomplete tail rather than send a malformed character.
void drop_incomplete_utf8_tail(std::string& text) {
  std::size_t lead = text.size();
  std::size_t continuations = 0;
  while (lead > 0 && (static_cast<unsigned char>(text[lead - 1]) & 0xC0) == 0x80 && continuations < 3) {
    --lead;
    ++continuations;
  }
  if (lead == 0) return;
  auto byte = static_cast<unsigned char>(text[lead - 1]);
  if (byte < 0xC0) return;
  std::size_t needed = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : 1;
  if (continuations < needed) text.erase(lead - 1);
}

}  // namespace

std::string quoted_display_name(std::string_view text) {
  std::string out;
  std::size_t kept = 0;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) continue;
    if (kept == kMaxDisplayNameLength) break;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
    ++kept;
  }
  drop_incomplete_utf8_tail(out);
  if (out.empty()) return {};
  return "\"" + out + "\"";
}

std::optional<std::string> identity_uri_text(const sip::Uri& uri, std::string_view host, CauseParam cause) {
  std::string out;
  if (uri.scheme == sip::UriScheme::tel) {
    out = "tel:";
    out += uri.user;
    out += uri.params;
  } else if (uri.is_sip()) {
    if (!uri.has_user || uri.user.empty()) return std::nullopt;
    out = uri.scheme == sip::UriScheme::sips ? "sips:" : "sip:";
    out += uri.user;
    out += '@';
    if (host.empty()) {
      out += uri.host;
      if (uri.has_port) out += ":" + std::to_string(uri.port);
    } else if (host.find(':') != std::string_view::npos && !host.starts_with('[')) {
      // RFC 3261 §25.1: an IPv6 address in a URI is an IPv6reference, in brackets.
      out += '[';
      out += host;
      out += ']';
    } else {
      out += host;
    }
    for (std::string_view name : {"user", "cause"}) {
      if (name == "cause" && cause == CauseParam::drop) continue;
      if (auto value = uri.param(name); value && !value->empty()) {
        out += ';';
        out += name;
        out += '=';
        out += *value;
      }
    }
  } else {
    return std::nullopt;
  }
  if (!safe_uri_text(out)) return std::nullopt;
  return out;
}

std::optional<std::string> tel_as_sip_uri(const sip::Uri& uri, std::string_view host) {
  if (uri.scheme != sip::UriScheme::tel || host.empty()) return std::nullopt;
  std::string number;
  for (char c : uri.user) {
    // RFC 3966 §5.1.1: visual separators carry no meaning; a SIP user part has no room for them.
    if (c != '-' && c != '.' && c != '(' && c != ')') number += c;
  }
  std::string out = "sip:" + number + "@" + std::string(host) + ";user=phone";
  if (!safe_uri_text(out)) return std::nullopt;
  return out;
}

}  // namespace osprey::sbc
