#pragma once
// Digest nonces that the server need not remember (RFC 7616 §3.3, §5.4; RFC 3261 §22.4): a
// nonce carries its own issue time and a MAC over that time and the realm under a secret only
// this server knows, so any worker can tell a nonce it issued from a forged one, and a fresh
// one from a stale one, without a table. Replay of a valid nonce is NonceCounts' job.
//
// Layout, before encoding: issue time (8 bytes, big-endian seconds) || unique (8 bytes) ||
// first 16 bytes of HMAC-SHA256(secret, time || unique || realm [|| "\n" client]), written as unpadded
// base64url (43 characters, all legal in a quoted-string and in a token). `unique` makes two nonces issued in
// the same second differ, so two clients never share one nc sequence.
//
// Thread safety: immutable after construction but for an atomic counter; one instance serves
// every worker thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "security/hmac_sha256.hpp"

namespace osprey::security {

inline constexpr std::int64_t kDefaultNonceLifetimeSeconds = 300;
// A genuine nonce dated up to this far in the future is still valid: workers (or servers that
// share the secret) read the clock at slightly different moments. Beyond it, a clock has gone
// wrong or the nonce was not made here, and it is treated as forged.
inline constexpr std::int64_t kNonceClockToleranceSeconds = 5;

enum class NonceState : std::uint8_t {
  valid,
  stale,   // genuine, but older than the lifetime: challenge again with stale=true (RFC 7616 §3.3)
  forged,  // not issued by this secret for this realm (or garbled, or from before a restart)
};

// What a nonce's MAC covers besides its time: the realm and, when given, the address of the
// client it was issued to, so only a client at that address can answer it.
struct NonceScope {
  std::string_view realm;
  std::string_view client;  // empty: bound to the realm alone
};

// A nonce's text in a fixed buffer (unpadded base64url of 32 bytes): issuing one for a 401
// allocates nothing.
struct NonceText {
  static constexpr std::size_t kSize = 43;
  std::array<char, kSize> characters{};

  std::string_view view() const { return {characters.data(), characters.size()}; }
};

class NonceService {
 public:
  using Secret = std::array<std::uint8_t, 32>;

  explicit NonceService(const Secret& secret, std::int64_t lifetime_seconds = kDefaultNonceLifetimeSeconds);
  ~NonceService();
  NonceService(const NonceService&) = delete;
  NonceService& operator=(const NonceService&) = delete;

  // 32 bytes from OpenSSL's CSPRNG (RAND_bytes). Aborts if the generator cannot be seeded: a
  // server must never run with a guessable secret.
  static Secret random_secret();

  // A new nonce for `scope`, issued at `now` (seconds since the epoch).
  NonceText issue(const NonceScope& scope, std::int64_t now) const;
  // The same for `realm` alone, as a string.
  std::string issue(std::string_view realm, std::int64_t now) const;
  NonceState check(std::string_view nonce, std::string_view realm, std::int64_t now) const {
    return check(nonce, NonceScope{realm, {}}, now, lifetime_seconds_);
  }
  // The same for `scope` with a shorter lifetime (`max_age_seconds`, capped at the service's
  // own): stale once older than that.
  NonceState check(std::string_view nonce, const NonceScope& scope, std::int64_t now,
                   std::int64_t max_age_seconds) const;
  NonceState check(std::string_view nonce, std::string_view realm, std::int64_t now,
                   std::int64_t max_age_seconds) const {
    return check(nonce, NonceScope{realm, {}}, now, max_age_seconds);
  }

  std::int64_t lifetime_seconds() const { return lifetime_seconds_; }
  // How long after a nonce is first seen valid it may stay valid: the lifetime plus the clock
  // tolerance. Whoever remembers a nonce's nc values must keep them at least this long.
  std::int64_t validity_span_seconds() const { return lifetime_seconds_ + kNonceClockToleranceSeconds; }

 private:
  static constexpr std::size_t kMacSize = 16;
  static constexpr std::size_t kRawSize = 8 + 8 + kMacSize;

  // Writes the truncated MAC of `header` (time || unique) and `scope` to `mac`; false if
  // OpenSSL failed.
  bool compute_mac(const std::uint8_t* header, const NonceScope& scope, std::uint8_t* mac) const;

  std::int64_t lifetime_seconds_;
  HmacSha256 hmac_;
  mutable std::atomic<std::uint64_t> next_unique_;
};

}  // namespace osprey::security
