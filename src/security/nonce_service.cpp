#include "security/nonce_service.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
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

// RFC 4648 §5 base64url without padding, from OpenSSL's base64 (EVP_EncodeBlock) with the two
// characters swapped: '+' and '/' would do in a quoted-string too, but a token-safe nonce
// survives peers that mishandle quoting.
std::string encode_base64url(const std::uint8_t* bytes, std::size_t size) {
  unsigned char text[64];  // 4 * ceil(32 / 3) + NUL
  const int written = EVP_EncodeBlock(text, bytes, static_cast<int>(size));
  std::string out(reinterpret_cast<const char*>(text), static_cast<std::size_t>(written));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

// Decodes exactly kEncodedSize characters into `out` (32 bytes). Refuses any other alphabet and,
// by re-encoding, a non-canonical spelling of the same bytes (unused low bits set), so one
// nonce has exactly one text: the nc table keys on that text.
bool decode_nonce(std::string_view text, std::uint8_t* out) {
  if (text.size() != kEncodedSize) return false;
  unsigned char standard[kEncodedSize + 2];
  for (std::size_t i = 0; i < kEncodedSize; ++i) {
    char c = text[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (!alnum) {
      return false;
    }
    standard[i] = static_cast<unsigned char>(c);
  }
  standard[kEncodedSize] = '=';
  standard[kEncodedSize + 1] = '\0';
  unsigned char decoded[48];
  // 44 characters decode to 33 bytes, the last one standing for the padding.
  if (EVP_DecodeBlock(decoded, standard, static_cast<int>(kEncodedSize + 1)) != 33) return false;
  std::memcpy(out, decoded, 32);
  return encode_base64url(out, 32) == text;
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

bool NonceService::compute_mac(const std::uint8_t* header, std::string_view realm, std::uint8_t* mac) const {
  HmacSha256::Mac full{};
  if (!hmac_.compute({std::string_view(reinterpret_cast<const char*>(header), kHeaderSize), realm}, full)) {
    return false;
  }
  // RFC 2104 §5: a truncated HMAC keeps its strength up to the truncated length; 128 bits is
  // far beyond what an online guesser can try.
  std::memcpy(mac, full.data(), kMacSize);
  return true;
}

std::string NonceService::issue(std::string_view realm, std::int64_t now) const {
  std::uint8_t raw[kRawSize] = {};
  put_big_endian(static_cast<std::uint64_t>(now), raw);
  put_big_endian(next_unique_.fetch_add(1, std::memory_order_relaxed), raw + 8);
  // If OpenSSL failed, the MAC stays zero and check() calls the nonce forged: the client is
  // challenged again, nothing is let through.
  compute_mac(raw, realm, raw + kHeaderSize);
  return encode_base64url(raw, kRawSize);
}

NonceState NonceService::check(std::string_view nonce, std::string_view realm, std::int64_t now,
                               std::int64_t max_age_seconds) const {
  std::uint8_t raw[kRawSize];
  if (!decode_nonce(nonce, raw)) return NonceState::forged;
  std::uint8_t expected[kMacSize];
  if (!compute_mac(raw, realm, expected)) return NonceState::forged;
  // Constant time: a byte-by-byte early exit would let a guesser find the MAC a byte at a time.
  if (CRYPTO_memcmp(expected, raw + kHeaderSize, kMacSize) != 0) return NonceState::forged;
  const auto issued = static_cast<std::int64_t>(get_big_endian(raw));
  if (issued > now + kNonceClockToleranceSeconds) return NonceState::forged;
  if (now - issued > std::min(lifetime_seconds_, max_age_seconds)) return NonceState::stale;
  return NonceState::valid;
}

}  // namespace osprey::security
