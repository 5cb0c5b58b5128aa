#include "security/nonce_service.hpp"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kRealm = "example.com";

NonceService::Secret secret_of(std::uint8_t fill) {
  NonceService::Secret secret;
  secret.fill(fill);
  return secret;
}

TEST(NonceService, NonceIsUnpaddedBase64url) {
  const NonceService nonces(secret_of(7));
  const std::string nonce = nonces.issue(kRealm, kNow);
  ASSERT_EQ(nonce.size(), 43U);
  for (char c : nonce) {
    const bool alphabet =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    EXPECT_TRUE(alphabet) << "character '" << c << "' in " << nonce;
  }
}

TEST(NonceService, ValidThroughItsLifetimeThenStale) {
  const NonceService nonces(secret_of(7), 300);
  const std::string nonce = nonces.issue(kRealm, kNow);
  EXPECT_EQ(nonces.check(nonce, kRealm, kNow), NonceState::valid);
  EXPECT_EQ(nonces.check(nonce, kRealm, kNow + 300), NonceState::valid);
  EXPECT_EQ(nonces.check(nonce, kRealm, kNow + 301), NonceState::stale);
  EXPECT_EQ(nonces.check(nonce, kRealm, kNow + 86'400), NonceState::stale);
}

TEST(NonceService, LifetimeIsConfigurable) {
  const NonceService nonces(secret_of(7), 10);
  const std::string nonce = nonces.issue(kRealm, kNow);
  EXPECT_EQ(nonces.check(nonce, kRealm, kNow + 10), NonceState::valid);
  EXPECT_EQ(nonces.check(nonce, kRealm, kNow + 11), NonceState::stale);
  EXPECT_EQ(nonces.validity_span_seconds(), 10 + kNonceClockToleranceSeconds);
}

TEST(NonceService, SlightlyFutureIsValidFarFutureIsForged) {
  const NonceService nonces(secret_of(7));
  const std::string nonce = nonces.issue(kRealm, kNow);
  EXPECT_EQ(nonces.check(nonce, kRealm, kNow - kNonceClockToleranceSeconds), NonceState::valid);
  EXPECT_EQ(nonces.check(nonce, kRealm, kNow - kNonceClockToleranceSeconds - 1), NonceState::forged);
}

TEST(NonceService, BoundToTheRealm) {
  const NonceService nonces(secret_of(7));
  const std::string nonce = nonces.issue(kRealm, kNow);
  EXPECT_EQ(nonces.check(nonce, "example.org", kNow), NonceState::forged);
  // The realm is compared exactly (RFC 3261 §22.1), as the credentials' realm is.
  EXPECT_EQ(nonces.check(nonce, "Example.com", kNow), NonceState::forged);
  EXPECT_EQ(nonces.check(nonce, "", kNow), NonceState::forged);
}

TEST(NonceService, AnotherSecretMeansForged) {
  // A restart with a fresh random secret: the old nonces are simply unknown.
  const NonceService before(secret_of(7));
  const NonceService after(secret_of(8));
  EXPECT_EQ(after.check(before.issue(kRealm, kNow), kRealm, kNow), NonceState::forged);
}

TEST(NonceService, AnyChangedCharacterIsForged) {
  const NonceService nonces(secret_of(7));
  const std::string nonce = nonces.issue(kRealm, kNow);
  for (std::size_t i = 0; i < nonce.size(); ++i) {
    std::string tampered = nonce;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(nonces.check(tampered, kRealm, kNow), NonceState::forged) << "position " << i;
  }
}

TEST(NonceService, RewrittenIssueTimeIsForged) {
  // Moving the time forward is what a replayer of an old nonce would want: the MAC covers it.
  const NonceService nonces(secret_of(7));
  const std::string old_nonce = nonces.issue(kRealm, kNow);
  const std::string new_nonce = nonces.issue(kRealm, kNow + 1000);
  // The first 11 characters hold the first 8 bytes (the time), the 11th also 2 bits of the
  // next field: swap in the newer time text and keep the rest.
  const std::string spliced = new_nonce.substr(0, 10) + old_nonce.substr(10);
  ASSERT_NE(spliced, old_nonce);
  EXPECT_EQ(nonces.check(spliced, kRealm, kNow + 1000), NonceState::forged);
}

TEST(NonceService, GarbageIsForged) {
  const NonceService nonces(secret_of(7));
  const std::string nonce = nonces.issue(kRealm, kNow);
  EXPECT_EQ(nonces.check("", kRealm, kNow), NonceState::forged);
  EXPECT_EQ(nonces.check("abc", kRealm, kNow), NonceState::forged);
  EXPECT_EQ(nonces.check(nonce + "A", kRealm, kNow), NonceState::forged);
  EXPECT_EQ(nonces.check(nonce.substr(1), kRealm, kNow), NonceState::forged);
  EXPECT_EQ(nonces.check(std::string(43, '!'), kRealm, kNow), NonceState::forged);
  // RFC 7616 §3.9.1's nonce: standard base64 with '/', never one of ours.
  EXPECT_EQ(nonces.check("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", kRealm, kNow), NonceState::forged);
}

TEST(NonceService, BoundToTheClientOfItsScope) {
  const NonceService nonces(secret_of(7));
  const NonceScope alice{kRealm, "192.0.2.1:5060"};
  const std::string nonce(nonces.issue(alice, kNow).view());
  EXPECT_EQ(nonces.check(nonce, alice, kNow, 300), NonceState::valid);
  EXPECT_EQ(nonces.check(nonce, NonceScope{kRealm, "192.0.2.1:5061"}, kNow, 300), NonceState::forged);
  EXPECT_EQ(nonces.check(nonce, NonceScope{kRealm, {}}, kNow, 300), NonceState::forged);
  EXPECT_EQ(nonces.check(nonce, NonceScope{"example.org", alice.client}, kNow, 300), NonceState::forged);
  // The scope is MACed as realm "\n" client, as when it was one joined string: nonces issued
  // before this form was introduced stay valid under a kept secret.
  EXPECT_EQ(nonces.check(nonce, NonceScope{"example.com\n192.0.2.1:5060", {}}, kNow, 300), NonceState::valid);
  // A nonce for the realm alone does not serve a client-bound check.
  const std::string unbound = nonces.issue(kRealm, kNow);
  EXPECT_EQ(nonces.check(unbound, alice, kNow, 300), NonceState::forged);
}

TEST(NonceService, EveryIssuedTextDecodesToItself) {
  // The encoder and the strict decoder agree on every byte value the MAC and counter produce.
  const NonceService nonces(secret_of(9));
  for (int i = 0; i < 2000; ++i) {
    const std::string nonce = nonces.issue(kRealm, kNow + i);
    ASSERT_EQ(nonces.check(nonce, kRealm, kNow + i), NonceState::valid) << nonce;
  }
}

TEST(NonceService, NonCanonicalSpellingIsForged) {
  // 43 characters carry 258 bits for 256: the last character's two low bits are unused. Setting
  // one decodes to the same bytes, but a second text for one nonce would get a second nc table
  // entry, so it is refused.
  const NonceService nonces(secret_of(7));
  const std::string nonce = nonces.issue(kRealm, kNow);
  ASSERT_EQ(nonces.check(nonce, kRealm, kNow), NonceState::valid);
  std::string sibling = nonce;
  // A canonical last character has a value divisible by 4 (A E I ... w 0 4 8); the next
  // character in ASCII is the next value in the alphabet, differing only in an unused bit.
  sibling.back() = static_cast<char>(sibling.back() + 1);
  EXPECT_EQ(nonces.check(sibling, kRealm, kNow), NonceState::forged);
}

TEST(NonceService, EveryIssueDiffersWithinOneSecond) {
  const NonceService nonces(secret_of(7));
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string nonce = nonces.issue(kRealm, kNow);
    EXPECT_TRUE(seen.insert(nonce).second) << "repeated " << nonce;
    EXPECT_EQ(nonces.check(nonce, kRealm, kNow), NonceState::valid);
  }
}

TEST(NonceService, ConcurrentIssuesDiffer) {
  const NonceService nonces(secret_of(7));
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::vector<std::vector<std::string>> issued(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&nonces, &issued, t] {
      for (int i = 0; i < kEach; ++i) issued[t].push_back(nonces.issue(kRealm, kNow));
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& list : issued) all.insert(list.begin(), list.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(NonceService, RandomSecretsDiffer) {
  EXPECT_NE(NonceService::random_secret(), NonceService::random_secret());
}

}  // namespace
}  // namespace osprey::security
