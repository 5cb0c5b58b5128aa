// MD5_* and SHA256_* are deprecated in OpenSSL 3 in favour of EVP, whose every digest costs an
// EVP_MD_CTX allocation and a provider lookup (EVP_MD_fetch behind EVP_sha256()): about two
// thirds of a Digest verification. The functions are the same implementations the default
// provider runs (SHA-NI, AVX2); Debian 12's OpenSSL keeps them.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "security/digest_hash.hpp"

#include <openssl/evp.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <memory>

namespace osprey::security {
namespace {

using sip::DigestAlgorithm;

constexpr std::string_view kSeparator = ":";

void write_lower_hex(const unsigned char* bytes, std::size_t size, DigestHex& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < size; ++i) {
    out.digits[2 * i] = kDigits[bytes[i] >> 4];
    out.digits[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  out.size = 2 * size;
}

// Feeds the parts joined by ':' to `update`, which returns false when OpenSSL fails.
template <typename Update>
bool feed(std::initializer_list<std::string_view> parts, Update&& update) {
  bool first = true;
  for (std::string_view part : parts) {
    if (!first && !update(kSeparator)) return false;
    if (!update(part)) return false;
    first = false;
  }
  return true;
}

bool md5_hex(std::initializer_list<std::string_view> parts, DigestHex& out) {
  MD5_CTX context;
  if (MD5_Init(&context) != 1) return false;
  const bool fed =
      feed(parts, [&](std::string_view part) { return MD5_Update(&context, part.data(), part.size()) == 1; });
  unsigned char hash[MD5_DIGEST_LENGTH];
  if (!fed || MD5_Final(hash, &context) != 1) return false;
  write_lower_hex(hash, sizeof hash, out);
  return true;
}

bool sha256_hex(std::initializer_list<std::string_view> parts, DigestHex& out) {
  SHA256_CTX context;
  if (SHA256_Init(&context) != 1) return false;
  const bool fed = feed(
      parts, [&](std::string_view part) { return SHA256_Update(&context, part.data(), part.size()) == 1; });
  unsigned char hash[SHA256_DIGEST_LENGTH];
  if (!fed || SHA256_Final(hash, &context) != 1) return false;
  write_lower_hex(hash, sizeof hash, out);
  return true;
}

struct FreeContext {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// SHA-512/256 has no plain function with its own initial values; only the client tools answer
// challenges with it, so the EVP cost does not matter there.
bool evp_hex(const EVP_MD* digest, std::initializer_list<std::string_view> parts, DigestHex& out) {
  const std::unique_ptr<EVP_MD_CTX, FreeContext> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), digest, nullptr) != 1) return false;
  const bool fed = feed(parts, [&](std::string_view part) {
    return EVP_DigestUpdate(context.get(), part.data(), part.size()) == 1;
  });
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!fed || EVP_DigestFinal_ex(context.get(), hash, &size) != 1) return false;
  if (2 * static_cast<std::size_t>(size) > out.digits.size()) return false;
  write_lower_hex(hash, size, out);
  return true;
}

}  // namespace

bool digest_hex_into(DigestAlgorithm algorithm, std::initializer_list<std::string_view> parts,
                     DigestHex& out) {
  switch (algorithm) {
    case DigestAlgorithm::md5:
    case DigestAlgorithm::md5_sess: return md5_hex(parts, out);
    case DigestAlgorithm::sha256:
    case DigestAlgorithm::sha256_sess: return sha256_hex(parts, out);
    case DigestAlgorithm::sha512_256:
    case DigestAlgorithm::sha512_256_sess: return evp_hex(EVP_sha512_256(), parts, out);
    case DigestAlgorithm::other: break;
  }
  return false;
}

tl::expected<std::string, std::string> digest_hex(DigestAlgorithm algorithm,
                                                  std::initializer_list<std::string_view> parts) {
  if (algorithm == DigestAlgorithm::other) return tl::unexpected(std::string("unsupported digest algorithm"));
  DigestHex hex;
  if (!digest_hex_into(algorithm, parts, hex)) {
    return tl::unexpected("OpenSSL cannot compute " + std::string(sip::to_string(algorithm)));
  }
  return std::string(hex.view());
}

tl::expected<std::string, std::string> digest_ha1(DigestAlgorithm algorithm, std::string_view username,
                                                  std::string_view realm, std::string_view password) {
  return digest_hex(algorithm, {username, realm, password});
}

}  // namespace osprey::security
