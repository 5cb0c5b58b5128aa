#include "security/dialog_token.hpp"

#include <openssl/crypto.h>

namespace osprey::security {

namespace {
constexpr std::size_t kTokenBytes = 16;
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}  // namespace

std::string DialogToken::sign(std::string_view call_id) const {
  HmacSha256::Mac mac{};
  if (!hmac_.compute({call_id}, mac)) return {};
  // base64url without padding (RFC 4648 §5): a URI parameter value needs no escaping then.
  std::string token;
  token.reserve(22);
  std::uint32_t bits = 0;
  int held = 0;
  for (std::size_t i = 0; i < kTokenBytes; ++i) {
    bits = (bits << 8) | mac[i];
    held += 8;
    while (held >= 6) {
      held -= 6;
      token.push_back(kBase64Url[(bits >> held) & 0x3f]);
    }
  }
  if (held > 0) token.push_back(kBase64Url[(bits << (6 - held)) & 0x3f]);
  return token;
}

bool DialogToken::verify(std::string_view call_id, std::string_view token) const {
  const std::string expected = sign(call_id);
  return !expected.empty() && token.size() == expected.size() &&
         CRYPTO_memcmp(token.data(), expected.data(), expected.size()) == 0;
}

}  // namespace osprey::security
