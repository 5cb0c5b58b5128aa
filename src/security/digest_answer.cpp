#include "security/digest_answer.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>

#include "security/digest_hash.hpp"

namespace osprey::security {

namespace {

using sip::DigestAlgorithm;

// Higher is stronger. RFC 7616 §3.7: a client uses the strongest algorithm it supports.
int strength(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::sha512_256:
    case DigestAlgorithm::sha512_256_sess: return 3;
    case DigestAlgorithm::sha256:
    case DigestAlgorithm::sha256_sess: return 2;
    case DigestAlgorithm::md5:
    case DigestAlgorithm::md5_sess: return 1;
    case DigestAlgorithm::other: break;
  }
  return 0;
}

std::string hex_of(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    text += kDigits[bytes[i] >> 4];
    text += kDigits[bytes[i] & 0x0f];
  }
  return text;
}

// RFC 7616 §3.4: nc is 8 hex digits.
std::string nonce_count_text(std::uint32_t nc) {
  std::array<char, 9> text{};
  std::snprintf(text.data(), text.size(), "%08x", static_cast<unsigned>(nc));
  return std::string(text.data(), 8);
}

// The challenge `params` parsed from a line of `header`, when this client can answer it.
std::optional<DigestChallenge> answerable(const sip::AuthParams& params, sip::HeaderId header) {
  if (!params.is_digest()) return std::nullopt;
  const auto realm = params.realm();
  const auto nonce = params.nonce();
  if (!realm || !nonce) return std::nullopt;  // RFC 7616 §3.3: both are required
  DigestChallenge challenge;
  challenge.answer_header = header == sip::HeaderId::proxy_authenticate ? sip::HeaderId::proxy_authorization
                                                                        : sip::HeaderId::authorization;
  challenge.realm = std::string(*realm);
  challenge.nonce = std::string(*nonce);
  if (auto opaque = params.opaque()) challenge.opaque = std::string(*opaque);
  challenge.algorithm = params.algorithm();
  if (strength(challenge.algorithm) == 0) return std::nullopt;
  if (params.qop()) {
    // RFC 7616 §3.3: a qop list means the server wants one of its values; only "auth" is ours.
    if (!params.has_qop("auth")) return std::nullopt;
    challenge.qop_auth = true;
  } else if (sip::is_session_algorithm(challenge.algorithm)) {
    return std::nullopt;  // RFC 2617 §3.2.2.2: -sess hashes the cnonce, sent only with qop
  }
  challenge.stale = params.stale();
  return challenge;
}

void gather(const sip::Message& response, sip::HeaderId header, std::vector<DigestChallenge>& found) {
  // Liberal in what the client accepts: a quoted algorithm="MD5" (some HTTP-derived servers)
  // is read, and a line that does not parse is skipped rather than spoiling the others.
  sip::AuthParseOptions options;
  options.accept_quoted_tokens = true;
  response.for_each_line(header, [&](std::string_view line) {
    auto params = sip::parse_challenge(line, sip::canonical_name(header), options);
    if (!params) return true;
    auto challenge = answerable(*params, header);
    if (!challenge) return true;
    // RFC 3261 §22.1: realms compare exactly. One answer per realm: the strongest offered.
    auto same_realm = std::find_if(found.begin(), found.end(), [&](const DigestChallenge& other) {
      return other.answer_header == challenge->answer_header && other.realm == challenge->realm;
    });
    if (same_realm == found.end()) {
      found.push_back(std::move(*challenge));
    } else if (strength(challenge->algorithm) > strength(same_realm->algorithm)) {
      *same_realm = std::move(*challenge);
    }
    return true;
  });
}

}  // namespace

std::string random_cnonce() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // OpenSSL's generator failed to seed (it does not on Linux); the OS source still serves.
    std::random_device device;
    for (unsigned char& byte : bytes) byte = static_cast<unsigned char>(device());
  }
  return hex_of(bytes.data(), bytes.size());
}

std::vector<DigestChallenge> answerable_challenges(const sip::Message& response) {
  std::vector<DigestChallenge> found;
  gather(response, sip::HeaderId::www_authenticate, found);
  gather(response, sip::HeaderId::proxy_authenticate, found);
  return found;
}

tl::expected<std::string, std::string> digest_authorization(const DigestChallenge& challenge,
                                                            const DigestAccount& account,
                                                            std::string_view method, std::string_view uri,
                                                            std::uint32_t nc, std::string_view cnonce) {
  const DigestAlgorithm algorithm = challenge.algorithm;
  // RFC 7616 §3.4.2: A1 = username:realm:password, and for -sess H(that):nonce:cnonce.
  auto ha1 = digest_ha1(algorithm, account.username, challenge.realm, account.password);
  if (!ha1) return tl::unexpected(ha1.error());
  if (sip::is_session_algorithm(algorithm)) {
    ha1 = digest_hex(algorithm, {*ha1, challenge.nonce, cnonce});
    if (!ha1) return tl::unexpected(ha1.error());
  }
  // RFC 7616 §3.4.3: A2 = Method:request-uri for qop "auth" (and without qop).
  const auto ha2 = digest_hex(algorithm, {method, uri});
  if (!ha2) return tl::unexpected(ha2.error());
  const std::string nc_text = nonce_count_text(nc);
  // RFC 7616 §3.4.1 with qop; RFC 2617 §3.2.2.1 without.
  const auto response = challenge.qop_auth
                            ? digest_hex(algorithm, {*ha1, challenge.nonce, nc_text, cnonce, "auth", *ha2})
                            : digest_hex(algorithm, {*ha1, challenge.nonce, *ha2});
  if (!response) return tl::unexpected(response.error());

  std::vector<sip::AuthField> fields{
      {"username", account.username},
      {"realm", challenge.realm},
      {"nonce", challenge.nonce},
      {"uri", uri},
      {"algorithm", sip::to_string(algorithm)},
      {"response", *response},
  };
  if (challenge.qop_auth) {
    fields.push_back({"qop", "auth"});
    fields.push_back({"nc", nc_text});
    fields.push_back({"cnonce", cnonce});
  }
  if (challenge.opaque) fields.push_back({"opaque", *challenge.opaque});
  return sip::format_credentials("Digest", fields);
}

}  // namespace osprey::security
