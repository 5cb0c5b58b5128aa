#pragma once
// Random identifiers osprey writes into messages it makes: tags (RFC 3261 §19.3), Via branches
// (§8.1.1.7) and Call-IDs (§8.1.1.4). Header-only, so txn/ (which links no net/ library) can
// use it. Each owner keeps its own instance: no shared generator, no lock.

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace osprey::net {

class RandomTags {
 public:
  // RFC 3261 §19.3: a tag is "cryptographically random" with at least 32 bits of randomness;
  // 15 hex digits carry 60. One more digit would outgrow std::string's inline buffer, and every
  // response osprey makes itself would allocate for its tag.
  static constexpr std::size_t kTagDigits = 15;

  RandomTags() : random_(std::random_device{}()) {}
  // A fixed sequence, for tests.
  explicit RandomTags(std::uint64_t seed) : random_(seed) {}

  // A fresh tag for a From or To header field.
  std::string tag() { return hex(kTagDigits); }

  // `digits` random lower-case hex digits (a branch suffix, a Call-ID's local part).
  std::string hex(std::size_t digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text(digits, '0');
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      if (i % 16 == 0) bits = random_();  // 16 digits per 64-bit draw
      text[i] = kHex[bits & 0xf];
      bits >>= 4;
    }
    return text;
  }

 private:
  std::mt19937_64 random_;
};

}  // namespace osprey::net
