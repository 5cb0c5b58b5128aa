#include "sip/identity_headers.hpp"

#include <array>
#include <bit>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sip/message.hpp"
#include "sip/scanner.hpp"
#include "sip/typed_header_support.hpp"
#include "sip/uri.hpp"

namespace osprey::sip {
namespace {

constexpr std::string_view kPrivacy = "Privacy";
constexpr std::string_view kIdentity = "Identity";
constexpr std::string_view kReplyTo = "Reply-To";

struct PrivacyName {
  std::string_view name;
  PrivacyFlag flag;
};
constexpr std::array<PrivacyName, 7> kPrivacyNames{{
    {"header", kPrivacyHeader},
    {"session", kPrivacySession},
    {"user", kPrivacyUser},
    {"none", kPrivacyNone},
    {"critical", kPrivacyCritical},
    {"id", kPrivacyId},
    {"history", kPrivacyHistory},
}};

PrivacyFlag privacy_flag(std::string_view value) {
  for (const PrivacyName& p : kPrivacyNames)
    if (iequals(p.name, value)) return p.flag;
  return kPrivacyOther;
}

// base64url alphabet (RFC 4648 §5), unpadded as JWS requires (RFC 7515 §2).
constexpr bool is_base64url(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_'; }

// The base64url alphabet and '.', the bytes of a signed-identity-digest, as a table: the digest
// is most of an Identity header (hundreds of bytes), read one lookup per byte.
constexpr std::array<bool, 256> kDigestChars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c)
    table[static_cast<std::size_t>(c)] = is_base64url(static_cast<char>(c)) || c == '.';
  return table;
}();

// The length of the run of digest bytes at the start of `text`: sixteen at a time with SSE2
// (part of every x86-64 CPU, so no run-time dispatch), the rest by the table.
std::size_t digest_run(std::string_view text) {
  std::size_t n = 0;
#if defined(__SSE2__)
  // Unsigned x < limit, for bytes, as a signed compare of both sides with the top bit flipped.
  const __m128i flip = _mm_set1_epi8(static_cast<char>(0x80));
  auto below = [flip](__m128i x, char limit) {
    return _mm_cmplt_epi8(_mm_xor_si128(x, flip), _mm_xor_si128(_mm_set1_epi8(limit), flip));
  };
  while (text.size() - n >= 16) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + n));
    // OR 0x20 maps exactly A-Z and a-z onto a-z; no other byte lands there.
    const __m128i letter =
        below(_mm_sub_epi8(_mm_or_si128(chunk, _mm_set1_epi8(0x20)), _mm_set1_epi8('a')), 26);
    const __m128i digit = below(_mm_sub_epi8(chunk, _mm_set1_epi8('0')), 10);
    const __m128i mark = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('-')), _mm_cmpeq_epi8(chunk, _mm_set1_epi8('_'))),
        _mm_cmpeq_epi8(chunk, _mm_set1_epi8('.')));
    const unsigned in_digest =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), mark)));
    if (in_digest != 0xFFFF) return n + static_cast<std::size_t>(std::countr_one(in_digest));
    n += 16;
  }
#endif
  while (n < text.size() && kDigestChars[static_cast<unsigned char>(text[n])]) ++n;
  return n;
}

// signed-identity-digest: header "." payload "." signature, each base64url; header and payload
// are both empty in the compact form (RFC 8225 §7). Returns the defect, empty if none.
std::string_view split_digest(std::string_view digest, Identity& out) {
  std::size_t dot1 = digest.find('.');
  if (dot1 == std::string_view::npos) return "signed-identity-digest needs three dot-separated parts";
  std::size_t dot2 = digest.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || digest.find('.', dot2 + 1) != std::string_view::npos)
    return "signed-identity-digest needs three dot-separated parts";
  out.jws_header = digest.substr(0, dot1);
  out.payload = digest.substr(dot1 + 1, dot2 - dot1 - 1);
  out.signature = digest.substr(dot2 + 1);
  if (out.signature.empty()) return "empty PASSporT signature";
  if (out.jws_header.empty() != out.payload.empty()) return "PASSporT with only one of header and payload";
  return {};
}

// gen-value = token / host / quoted-string (RFC 3261 §25.1); host may be an IPv6 reference.
bool take_gen_value(Scanner& s) {
  if (s.peek() == '"') return s.take_quoted_string().has_value();
  if (s.peek() == '[') {
    std::string_view v6 = s.take_until_any("]");
    return s.consume(']') && v6.size() >= 3;
  }
  return !s.take_class(kToken | kParamUnreserved).empty();
}

}  // namespace

Result<NameAddr> parse_asserted_identity(std::string_view element, std::string_view header) {
  std::string_view trimmed = trim_lws(element);
  std::size_t base = offset_in(element, trimmed);
  if (trimmed.empty()) return malformed(header, "empty value", 0);
  bool name_addr = trimmed.front() == '"' || trimmed.find('<') != std::string_view::npos;
  if (name_addr) {
    auto parsed = parse_name_addr(trimmed, header);
    if (!parsed) return relabel(std::move(parsed.error()), header, base);
    // RFC 3325 §9.1: PAssertedID-value = name-addr / addr-spec, with no header parameters.
    if (!parsed->params.empty())
      return malformed(header, "parameters are not allowed", base + offset_in(trimmed, parsed->params));
    return parsed;
  }
  // An addr-spec: with no header parameters to confuse them with, ";user=phone" belongs to the URI.
  auto uri = parse_uri(trimmed);
  if (!uri) return relabel(std::move(uri.error()), header, base);
  if (!uri->headers.empty()) return malformed(header, "URI with headers must be enclosed in <>", base);
  NameAddr result;
  result.text = trimmed;
  result.uri = *uri;
  return result;
}

Result<std::vector<NameAddr>> asserted_identities(const Message& message) {
  return gather_elements<NameAddr>(message, HeaderId::p_asserted_identity, [](std::string_view element) {
    return parse_asserted_identity(element, "P-Asserted-Identity");
  });
}

Result<std::vector<NameAddr>> preferred_identities(const Message& message) {
  return gather_elements<NameAddr>(message, HeaderId::p_preferred_identity, [](std::string_view element) {
    return parse_asserted_identity(element, "P-Preferred-Identity");
  });
}

Result<Privacy> parse_privacy(std::string_view value) {
  Privacy result;
  Scanner s(value);
  s.skip_lws();
  while (true) {
    std::size_t at = s.pos();
    std::string_view token = s.take_token();
    if (token.empty()) return malformed(kPrivacy, "expected a priv-value", at);
    result.flags = static_cast<std::uint8_t>(result.flags | privacy_flag(token));
    result.values.push_back(token);
    // The grammar writes a bare ";" between values; LWS around it is tolerated as for every
    // other separator of RFC 3261 §25.1.
    std::size_t after = s.pos();
    s.skip_lws();
    if (s.at_end()) break;
    s.set_pos(after);
    if (!s.consume_separator(';')) return malformed(kPrivacy, "expected ';' between priv-values", s.pos());
  }
  return result;
}

Result<Privacy> privacy(const Message& message) {
  auto lines = gather_lines<Privacy>(message, HeaderId::privacy, parse_privacy);
  if (!lines) return tl::unexpected<ParseError>(std::move(lines.error()));
  Privacy merged;
  for (const Privacy& line : *lines) {
    merged.flags = static_cast<std::uint8_t>(merged.flags | line.flags);
    for (std::string_view v : line.values) merged.values.push_back(v);
  }
  return merged;
}

Result<NameAddr> parse_reply_to(std::string_view value) {
  auto parsed = parse_name_addr(value, kReplyTo);
  if (!parsed) return relabel(std::move(parsed.error()), kReplyTo);
  return parsed;
}

namespace {

// RFC 4474 §9 (obsoleted by RFC 8224): signed-identity-digest = LDQUOT 32LHEX RDQUOT in its
// ABNF, base64 in practice, and RFC 4475 §3.1.1.11 (mpart01) carries it bare. Such a value is
// accepted as a legacy signature: its `signature` holds the base64 text, `legacy` is set.
std::optional<Identity> parse_legacy_identity(std::string_view value) {
  std::string_view v = trim_lws(value);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  // An RSA signature in base64: long, and padded to a multiple of 4 characters.
  if (v.size() < 64 || v.size() % 4 != 0) return std::nullopt;
  for (char c : v) {
    if (!is_class(c, kAlnum) && c != '+' && c != '/' && c != '=') return std::nullopt;
  }
  Identity legacy;
  legacy.text = value;
  legacy.digest = v;
  legacy.signature = v;
  legacy.legacy = true;
  return legacy;
}

}  // namespace

Result<Identity> parse_identity(std::string_view value) {
  auto modern = parse_rfc8224_identity(value);
  if (modern) return modern;
  if (auto legacy = parse_legacy_identity(value)) return *legacy;
  return modern;
}

Result<Identity> parse_rfc8224_identity(std::string_view value) {
  Identity result;
  result.text = value;
  Scanner s(value);
  s.skip_lws();
  std::size_t digest_at = s.pos();
  s.advance(digest_run(s.rest()));
  result.digest = value.substr(digest_at, s.pos() - digest_at);
  if (result.digest.empty()) return malformed(kIdentity, "missing signed-identity-digest", digest_at);
  if (!s.at_end() && s.peek() != ';' && !is_wsp(s.peek()) && s.peek() != '\r') {
    return malformed(kIdentity, "signed-identity-digest must be base64url", s.pos());
  }
  if (std::string_view defect = split_digest(result.digest, result); !defect.empty()) {
    return malformed(kIdentity, defect, digest_at);
  }

  bool has_info = false;
  std::size_t params_begin = std::string_view::npos;
  std::size_t params_end = 0;
  while (true) {
    std::size_t before = s.pos();
    if (!s.consume_separator(';')) break;
    if (params_begin == std::string_view::npos) params_begin = value.find(';', before);
    std::size_t name_at = s.pos();
    std::string_view name = s.take_token();
    if (name.empty()) return malformed(kIdentity, "expected a parameter name", name_at);
    bool is_info = iequals(name, "info");
    bool is_alg = iequals(name, "alg");
    bool is_ppt = iequals(name, "ppt");
    if ((is_info && has_info) || (is_alg && result.alg) || (is_ppt && result.ppt)) {
      return malformed(kIdentity, "duplicate " + std::string(name) + " parameter", name_at);
    }
    if (!s.consume_separator('=')) {
      if (is_info || is_alg || is_ppt)
        return malformed(kIdentity, std::string(name) + " needs a value", s.pos());
      params_end = s.pos();
      continue;
    }
    std::size_t value_at = s.pos();
    if (is_info) {
      // ident-info-uri = LAQUOT absoluteURI RAQUOT
      if (!s.consume('<')) return malformed(kIdentity, "info must be an <absoluteURI>", value_at);
      std::string_view uri_text = s.take_until_any(">");
      if (!s.consume('>')) return malformed(kIdentity, "missing '>' after info URI", s.pos());
      auto uri = parse_uri(uri_text);
      if (!uri) return relabel(std::move(uri.error()), kIdentity, value_at + 1);
      result.info = uri_text;
      has_info = true;
    } else if (is_alg) {
      // ident-info-alg = "alg" EQUAL token
      result.alg = s.take_token();
      if (result.alg->empty()) return malformed(kIdentity, "alg must be a token", value_at);
    } else if (is_ppt) {
      // ident-type = "ppt" EQUAL token; a quoted token, which deployments send, is tolerated.
      std::string_view ppt;
      if (s.peek() == '"') {
        auto quoted = s.take_quoted_string();
        if (!quoted) return malformed(kIdentity, "unterminated quoted-string", value_at);
        ppt = strip_quotes(*quoted);
        if (!is_token(ppt)) return malformed(kIdentity, "ppt must be a token", value_at);
      } else {
        ppt = s.take_token();
        if (ppt.empty()) return malformed(kIdentity, "ppt must be a token", value_at);
      }
      result.ppt = ppt;
    } else if (!take_gen_value(s)) {
      return malformed(kIdentity, "malformed value of " + std::string(name), value_at);
    }
    params_end = s.pos();
  }
  s.skip_lws();
  if (!s.at_end()) return malformed(kIdentity, "unexpected characters", s.pos());
  // RFC 8224 §4: ident-info is not optional.
  if (!has_info) return malformed(kIdentity, "missing info parameter", value.size());
  result.params = value.substr(params_begin, params_end - params_begin);
  return result;
}

Result<std::vector<Identity>> identities(const Message& message) {
  return gather_lines<Identity>(message, HeaderId::identity, parse_identity);
}

}  // namespace osprey::sip
