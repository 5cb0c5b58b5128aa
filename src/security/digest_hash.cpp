#include "security/digest_hash.hpp"

#include <openssl/evp.h>

#include <memory>

namespace osprey::security {
namespace {

// The EVP algorithms are static objects owned by OpenSSL: nothing to free.
const EVP_MD* evp_digest(sip::DigestAlgorithm algorithm) {
  using sip::DigestAlgorithm;
  switch (algorithm) {
    case DigestAlgorithm::md5:
    case DigestAlgorithm::md5_sess: return EVP_md5();
    case DigestAlgorithm::sha256:
    case DigestAlgorithm::sha256_sess: return EVP_sha256();
    case DigestAlgorithm::sha512_256:
    case DigestAlgorithm::sha512_256_sess: return EVP_sha512_256();
    case DigestAlgorithm::other: break;
  }
  return nullptr;
}

struct FreeContext {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

std::string lower_hex(const unsigned char* bytes, unsigned int size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace

tl::expected<std::string, std::string> digest_hex(sip::DigestAlgorithm algorithm,
                                                  std::initializer_list<std::string_view> parts) {
  const EVP_MD* digest = evp_digest(algorithm);
  if (digest == nullptr) return tl::unexpected(std::string("unsupported digest algorithm"));
  const std::unique_ptr<EVP_MD_CTX, FreeContext> context(EVP_MD_CTX_new());
  const auto failed = [algorithm] {
    return tl::unexpected("OpenSSL cannot compute " + std::string(sip::to_string(algorithm)));
  };
  if (!context || EVP_DigestInit_ex(context.get(), digest, nullptr) != 1) return failed();
  bool first = true;
  for (std::string_view part : parts) {
    if (!first && EVP_DigestUpdate(context.get(), ":", 1) != 1) return failed();
    if (EVP_DigestUpdate(context.get(), part.data(), part.size()) != 1) return failed();
    first = false;
  }
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context.get(), hash, &size) != 1) return failed();
  return lower_hex(hash, size);
}

tl::expected<std::string, std::string> digest_ha1(sip::DigestAlgorithm algorithm, std::string_view username,
                                                  std::string_view realm, std::string_view password) {
  return digest_hex(algorithm, {username, realm, password});
}

}  // namespace osprey::security
