#include "security/hmac_sha256.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>

namespace osprey::security {

void HmacSha256::FreeMac::operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
void HmacSha256::FreeMacContext::operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }

HmacSha256::HmacSha256(std::span<const std::uint8_t> key) {
  mac_.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (mac_) keyed_.reset(EVP_MAC_CTX_new(mac_.get()));
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                               OSSL_PARAM_construct_end()};
  if (!keyed_ || EVP_MAC_init(keyed_.get(), key.data(), key.size(), params) != 1) {
    std::fprintf(stderr, "osprey: OpenSSL cannot compute HMAC-SHA256\n");
    std::abort();
  }
}

HmacSha256::~HmacSha256() = default;

bool HmacSha256::compute(std::initializer_list<std::string_view> parts, Mac& out) const {
  const std::unique_ptr<EVP_MAC_CTX, FreeMacContext> context(EVP_MAC_CTX_dup(keyed_.get()));
  if (!context) return false;
  for (std::string_view part : parts) {
    if (EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char*>(part.data()), part.size()) !=
        1) {
      return false;
    }
  }
  std::size_t size = 0;
  return EVP_MAC_final(context.get(), out.data(), &size, out.size()) == 1 && size == out.size();
}

}  // namespace osprey::security
