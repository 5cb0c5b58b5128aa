#pragma once
// HMAC-SHA256 (RFC 2104) under one fixed key, for the MACs osprey signs with its own secrets
// (Digest nonces, dialog tokens). The key schedule is done once, at construction: the SHA-256
// states after the inner and the outer padded key. Each MAC copies those states (plain structs:
// no allocation) and hashes on, so threads share one instance without a lock. OpenSSL's EVP_MAC
// needs an EVP_MAC_CTX_dup per MAC instead (an allocation and provider calls, about 10,000
// instructions for a short input: a quarter of a proxied call's CPU with dialog tokens), and its
// one-shot HMAC() looks the algorithm up by name on every call.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>

namespace osprey::security {

class HmacSha256 {
 public:
  using Mac = std::array<std::uint8_t, 32>;

  explicit HmacSha256(std::span<const std::uint8_t> key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  // The MAC of the concatenation of `parts`; false if OpenSSL failed (out is then unspecified).
  bool compute(std::initializer_list<std::string_view> parts, Mac& out) const;

 private:
  struct KeyedStates;  // the SHA-256 states after the inner and the outer padded key
  std::unique_ptr<KeyedStates> keyed_;
};

}  // namespace osprey::security
