#include "security/nonce_service.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace osprey::security {
namespace {

constexpr std::size_t kHeaderSize = 16;   // issue time || unique
constexpr std::size_t kEncodedSize = 43;  // unpadded base64url of 32 bytes

void put_big_endian(std::uint64_t value, std::uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
}

std::uint64_t get_big_endian(const std::uint8_t* in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | in[i];
  return value;
}

// Startup failures that leave no safe way to run (no CSPRNG, no HMAC-SHA256): better to stop
// than to issue nonces anyone could forge.
[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "osprey: %s\n", what);
  std::abort();
}

// RFC 4648 §5 base64url without padding: '+' and '/' would do in a quoted-string too, but a
// token-safe nonce survives peers that mishandle quoting. Written by hand into a fixed buffer:
// a nonce is made for every 401 and checked for every credential, and OpenSSL's base64 would
// need a translation pass and a std::string on each.
constexpr std::array<char, 64> kAlphabet = {'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M',
                                            'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z',
                                            'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm',
                                            'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z',
                                            '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '_'};

// The 6-bit value of each base64url character, 0xff for every other byte.
constexpr std::array<std::uint8_t, 256> kValues = [] {
  std::array<std::uint8_t, 256> values{};
  for (std::uint8_t& value : values) value = 0xff;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  return values;
}();

// 32 bytes to 43 characters: ten groups of 3 bytes to 4 characters, then 2 bytes to 3.
void encode_base64url(const std::uint8_t* bytes, char* text) {
  for (std::size_t group = 0; group < 10; ++group) {
    const std::uint32_t bits = (std::uint32_t{bytes[0]} << 16) | (std::uint32_t{bytes[1]} << 8) | bytes[2];
    text[0] = kAlphabet[(bits >> 18) & 0x3f];
    text[1] = kAlphabet[(bits >> 12) & 0x3f];
    text[2] = kAlphabet[(bits >> 6) & 0x3f];
    text[3] = kAlphabet[bits & 0x3f];
    bytes += 3;
    text += 4;
  }
  const std::uint32_t bits = (std::uint32_t{bytes[0]} << 16) | (std::uint32_t{bytes[1]} << 8);
  text[0] = kAlphabet[(bits >> 18) & 0x3f];
  text[1] = kAlphabet[(bits >> 12) & 0x3f];
  text[2] = kAlphabet[(bits >> 6) & 0x3f];
}

// Decodes exactly kEncodedSize characters into `out` (32 bytes). Refuses any other alphabet and
// a non-canonical spelling of the same bytes (the last character's two unused low bits set), so
// one nonce has exactly one text: the nc table keys on that text.
bool decode_nonce(std::string_view text, std::uint8_t* out) {
  if (text.size() != kEncodedSize) return false;
  std::uint8_t values[kEncodedSize];
  std::uint8_t invalid = 0;
  for (std::size_t i = 0; i < kEncodedSize; ++i) {
    values[i] = kValues[static_cast<unsigned char>(text[i])];
    invalid |= values[i] & 0xc0;  // 0xff marks a byte outside the alphabet
  }
  if (invalid != 0) return false;
  const std::uint8_t* in = values;
  for (std::size_t group = 0; group < 10; ++group) {
    const std::uint32_t bits =
        (std::uint32_t{in[0]} << 18) | (std::uint32_t{in[1]} << 12) | (std::uint32_t{in[2]} << 6) | in[3];
    out[0] = static_cast<std::uint8_t>(bits >> 16);
    out[1] = static_cast<std::uint8_t>(bits >> 8);
    out[2] = static_cast<std::uint8_t>(bits);
    in += 4;
    out += 3;
  }
  if ((in[2] & 0x03) != 0) return false;  // RFC 4648 §3.5: canonical encoders zero these bits
  const std::uint32_t bits =
      (std::uint32_t{in[0]} << 18) | (std::uint32_t{in[1]} << 12) | (std::uint32_t{in[2]} << 6);
  out[0] = static_cast<std::uint8_t>(bits >> 16);
  out[1] = static_cast<std::uint8_t>(bits >> 8);
  return true;
}

}  // namespace

NonceService::NonceService(const Secret& secret, std::int64_t lifetime_seconds)
    : lifetime_seconds_(lifetime_seconds), hmac_(secret), next_unique_(0) {
  // A random start keeps nonces unique across restarts that reuse a configured secret within
  // the same second; within one instance the counter alone guarantees it.
  std::uint8_t start[8];
  if (RAND_bytes(start, sizeof start) == 1)
    next_unique_.store(get_big_endian(start), std::memory_order_relaxed);
}

NonceService::~NonceService() = default;

NonceService::Secret NonceService::random_secret() {
  Secret secret;
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    fatal("OpenSSL's random generator failed: cannot make a nonce secret");
  }
  return secret;
}

bool NonceService::compute_mac(const std::uint8_t* header, const NonceScope& scope, std::uint8_t* mac) const {
  HmacSha256::Mac full{};
  // The scope is fed in pieces, never joined into a string first: realm, then "\n" client when
  // there is a client (the '\n' cannot occur in a realm a request can name, so no two scopes
  // hash alike).
  const std::string_view separator = scope.client.empty() ? std::string_view() : std::string_view("\n");
  if (!hmac_.compute({std::string_view(reinterpret_cast<const char*>(header), kHeaderSize), scope.realm,
                      separator, scope.client},
                     full)) {
    return false;
  }
  // RFC 2104 §5: a truncated HMAC keeps its strength up to the truncated length; 128 bits is
  // far beyond what an online guesser can try.
  std::memcpy(mac, full.data(), kMacSize);
  return true;
}

NonceText NonceService::issue(const NonceScope& scope, std::int64_t now) const {
  std::uint8_t raw[kRawSize] = {};
  put_big_endian(static_cast<std::uint64_t>(now), raw);
  put_big_endian(next_unique_.fetch_add(1, std::memory_order_relaxed), raw + 8);
  // If OpenSSL failed, the MAC stays zero and check() calls the nonce forged: the client is
  // challenged again, nothing is let through.
  compute_mac(raw, scope, raw + kHeaderSize);
  NonceText text;
  encode_base64url(raw, text.characters.data());
  return text;
}

std::string NonceService::issue(std::string_view realm, std::int64_t now) const {
  return std::string(issue(NonceScope{realm, {}}, now).view());
}

NonceState NonceService::check(std::string_view nonce, const NonceScope& scope, std::int64_t now,
                               std::int64_t max_age_seconds) const {
  std::uint8_t raw[kRawSize];
  if (!decode_nonce(nonce, raw)) return NonceState::forged;
  std::uint8_t expected[kMacSize];
  if (!compute_mac(raw, scope, expected)) return NonceState::forged;
  // Constant time: a byte-by-byte early exit would let a guesser find the MAC a byte at a time.
  if (CRYPTO_memcmp(expected, raw + kHeaderSize, kMacSize) != 0) return NonceState::forged;
  const auto issued = static_cast<std::int64_t>(get_big_endian(raw));
  if (issued > now + kNonceClockToleranceSeconds) return NonceState::forged;
  if (now - issued > std::min(lifetime_seconds_, max_age_seconds)) return NonceState::stale;
  return NonceState::valid;
}

}  // namespace osprey::security
