// The AuthParams accessors and the Digest algorithm names (declared in auth_headers.hpp); the
// parsers that fill an AuthParams are in auth_headers.cpp.

#include <algorithm>
#include <array>

#include "sip/auth_headers.hpp"
#include "sip/typed_header_support.hpp"

namespace osprey::sip {
namespace {

struct AlgorithmName {
  std::string_view name;
  DigestAlgorithm algorithm;
};
constexpr std::array<AlgorithmName, 6> kAlgorithms{{
    {"MD5", DigestAlgorithm::md5},
    {"MD5-sess", DigestAlgorithm::md5_sess},
    {"SHA-256", DigestAlgorithm::sha256},
    {"SHA-256-sess", DigestAlgorithm::sha256_sess},
    {"SHA-512-256", DigestAlgorithm::sha512_256},
    {"SHA-512-256-sess", DigestAlgorithm::sha512_256_sess},
}};

}  // namespace

DigestAlgorithm digest_algorithm_from(std::string_view name) {
  for (const AlgorithmName& a : kAlgorithms)
    if (iequals(a.name, name)) return a.algorithm;
  return DigestAlgorithm::other;
}

std::string_view to_string(DigestAlgorithm algorithm) {
  for (const AlgorithmName& a : kAlgorithms)
    if (a.algorithm == algorithm) return a.name;
  return {};
}

bool is_session_algorithm(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::md5_sess || algorithm == DigestAlgorithm::sha256_sess ||
         algorithm == DigestAlgorithm::sha512_256_sess;
}

std::size_t digest_hex_length(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::md5:
    case DigestAlgorithm::md5_sess: return 32;
    case DigestAlgorithm::sha256:
    case DigestAlgorithm::sha256_sess:
    case DigestAlgorithm::sha512_256:
    case DigestAlgorithm::sha512_256_sess: return 64;
    case DigestAlgorithm::other: return 0;
  }
  return 0;
}

std::optional<std::string_view> AuthParams::get(std::string_view name) const {
  for (const AuthParam& p : params_)
    if (iequals(p.name, name)) return p.value;
  return std::nullopt;
}

std::string_view AuthParams::text(const AuthParam& param) const {
  if (param.in_arena) return std::string_view(arena_).substr(param.arena_offset, param.arena_size);
  return strip_quotes(param.value);
}

std::optional<std::string_view> AuthParams::text(std::string_view name) const {
  for (const AuthParam& p : params_)
    if (iequals(p.name, name)) return text(p);
  return std::nullopt;
}

std::string AuthParams::unquoted(std::string_view name) const { return std::string(text(name).value_or("")); }

DigestAlgorithm AuthParams::algorithm() const { return digest_algorithm_from(algorithm_name()); }

std::string_view AuthParams::algorithm_name() const { return text("algorithm").value_or("MD5"); }

bool AuthParams::flag(std::string_view name) const {
  auto v = text(name);
  return v && iequals(*v, "true");
}

std::optional<std::uint32_t> AuthParams::nc() const {
  auto v = text("nc");
  if (!v || v->size() != 8) return std::nullopt;
  std::uint32_t n = 0;
  for (char c : *v) {
    int d = hex_value(c);
    if (d < 0) return std::nullopt;
    n = (n << 4) | static_cast<std::uint32_t>(d);
  }
  return n;
}

bool AuthParams::has_qop(std::string_view value) const {
  bool found = false;
  for_each_qop([&](std::string_view q) {
    found = iequals(q, value);
    return !found;
  });
  return found;
}

void AuthParams::append(std::string_view name, std::string_view value) {
  AuthParam p;
  p.name = name;
  p.value = value;
  if (p.quoted()) {
    std::string_view inner = strip_quotes(value);
    // A plain loop: find_first_of with a two-character set calls memchr once per character,
    // and every quoted value of every credential passes here.
    bool needs_unescaping = false;
    for (char c : inner) needs_unescaping |= (c == '\\') | (c == '\r');
    if (needs_unescaping) {
      // RFC 3261 §25.1: quoted-pair = "\" CHAR stands for CHAR; a fold (CRLF WSP) inside the
      // quotes is LWS and stands for its whitespace.
      std::size_t begin = arena_.size();
      for (std::size_t i = 0; i < inner.size(); ++i) {
        if (inner[i] == '\\' && i + 1 < inner.size()) {
          arena_.push_back(inner[++i]);
        } else if (inner[i] == '\r' && i + 1 < inner.size() && inner[i + 1] == '\n') {
          ++i;
        } else {
          arena_.push_back(inner[i]);
        }
      }
      p.in_arena = true;
      p.arena_offset = static_cast<std::uint32_t>(begin);
      p.arena_size = static_cast<std::uint32_t>(arena_.size() - begin);
    }
  }
  params_.push_back(p);
}

}  // namespace osprey::sip
