// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, whose contexts cannot
// be copied without an allocation; the SHA-256 itself is still OpenSSL's (with its SHA-NI and
// AVX2 code). Debian 12's OpenSSL keeps the functions.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "security/hmac_sha256.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>

namespace osprey::security {

struct HmacSha256::KeyedStates {
  SHA256_CTX inner;
  SHA256_CTX outer;
};

namespace {
constexpr std::size_t kBlockBytes = 64;  // SHA-256's block (RFC 2104 §2: B)
}  // namespace

HmacSha256::HmacSha256(std::span<const std::uint8_t> key) : keyed_(std::make_unique<KeyedStates>()) {
  // RFC 2104 §2: a key longer than the block is hashed first; then zero-padded to the block.
  std::array<unsigned char, kBlockBytes> block{};
  if (key.size() > kBlockBytes) {
    SHA256(key.data(), key.size(), block.data());
  } else if (!key.empty()) {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<unsigned char, kBlockBytes> pad{};
  for (std::size_t i = 0; i < kBlockBytes; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ 0x36);
  SHA256_Init(&keyed_->inner);
  SHA256_Update(&keyed_->inner, pad.data(), pad.size());
  for (std::size_t i = 0; i < kBlockBytes; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ 0x5c);
  SHA256_Init(&keyed_->outer);
  SHA256_Update(&keyed_->outer, pad.data(), pad.size());
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
}

HmacSha256::~HmacSha256() {
  if (keyed_) OPENSSL_cleanse(keyed_.get(), sizeof(KeyedStates));
}

bool HmacSha256::compute(std::initializer_list<std::string_view> parts, Mac& out) const {
  SHA256_CTX context = keyed_->inner;
  for (std::string_view part : parts) {
    if (SHA256_Update(&context, part.data(), part.size()) != 1) return false;
  }
  Mac inner{};
  if (SHA256_Final(inner.data(), &context) != 1) return false;
  context = keyed_->outer;
  return SHA256_Update(&context, inner.data(), inner.size()) == 1 && SHA256_Final(out.data(), &context) == 1;
}

}  // namespace osprey::security
