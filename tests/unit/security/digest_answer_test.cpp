#include "security/digest_answer.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "digest_test_messages.hpp"
#include "security/digest_hash.hpp"
#include "sip/auth_headers.hpp"

namespace osprey::security {
namespace {

using osprey::testing::challenge_response;
using osprey::testing::parsed;
using osprey::testing::www;

// RFC 7616 §3.9.1.
constexpr std::string_view kRealm = "http-auth@example.org";
constexpr std::string_view kNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr std::string_view kOpaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
constexpr std::string_view kCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
const DigestAccount kMufasa{"Mufasa", "Circle of Life"};

DigestChallenge rfc7616_challenge(sip::DigestAlgorithm algorithm) {
  DigestChallenge challenge;
  challenge.realm = std::string(kRealm);
  challenge.nonce = std::string(kNonce);
  challenge.opaque = std::string(kOpaque);
  challenge.algorithm = algorithm;
  challenge.qop_auth = true;
  return challenge;
}

TEST(DigestAuthorization, Rfc7616Sha256Example) {
  auto value = digest_authorization(rfc7616_challenge(sip::DigestAlgorithm::sha256), kMufasa, "GET",
                                    "/dir/index.html", 1, kCnonce);
  ASSERT_TRUE(value) << value.error();
  const sip::AuthParams credentials = parsed(*value);
  EXPECT_TRUE(credentials.is_digest());
  EXPECT_EQ(credentials.response(), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_EQ(credentials.username(), "Mufasa");
  EXPECT_EQ(credentials.realm(), kRealm);
  EXPECT_EQ(credentials.nonce(), kNonce);
  EXPECT_EQ(credentials.uri(), "/dir/index.html");
  EXPECT_EQ(credentials.algorithm(), sip::DigestAlgorithm::sha256);
  EXPECT_EQ(credentials.qop(), "auth");
  EXPECT_EQ(credentials.nc(), 1u);
  EXPECT_EQ(credentials.cnonce(), kCnonce);
  EXPECT_EQ(credentials.opaque(), kOpaque);  // RFC 7616 §3.4: returned unchanged
  // RFC 7616 §3.4: nc and qop are tokens, never quoted.
  EXPECT_NE(value->find("nc=00000001"), std::string::npos) << *value;
  EXPECT_NE(value->find("qop=auth"), std::string::npos) << *value;
}

TEST(DigestAuthorization, Rfc7616Md5Example) {
  auto value = digest_authorization(rfc7616_challenge(sip::DigestAlgorithm::md5), kMufasa, "GET",
                                    "/dir/index.html", 1, kCnonce);
  ASSERT_TRUE(value) << value.error();
  const sip::AuthParams credentials = parsed(*value);
  EXPECT_EQ(credentials.response(), "8ca523f5e9506fed4657c9700eebdbec");
  EXPECT_EQ(credentials.algorithm_name(), "MD5");
}

TEST(DigestAuthorization, WithoutQopIsTheRfc2617Form) {
  DigestChallenge challenge = rfc7616_challenge(sip::DigestAlgorithm::md5);
  challenge.qop_auth = false;
  challenge.opaque.reset();
  auto value = digest_authorization(challenge, kMufasa, "REGISTER", "sip:example.com", 1, kCnonce);
  ASSERT_TRUE(value) << value.error();
  const sip::AuthParams credentials = parsed(*value);
  // RFC 2617 §3.2.2.1: response = H(HA1 ":" nonce ":" HA2), no qop, nc or cnonce.
  const auto ha1 = digest_ha1(sip::DigestAlgorithm::md5, "Mufasa", kRealm, "Circle of Life");
  const auto ha2 = digest_hex(sip::DigestAlgorithm::md5, {"REGISTER", "sip:example.com"});
  const auto expected = digest_hex(sip::DigestAlgorithm::md5, {*ha1, kNonce, *ha2});
  EXPECT_EQ(credentials.response(), *expected);
  EXPECT_FALSE(credentials.qop());
  EXPECT_FALSE(credentials.get("nc"));
  EXPECT_FALSE(credentials.cnonce());
  EXPECT_FALSE(credentials.opaque());
}

TEST(DigestAuthorization, SessionAlgorithmHashesNonceAndCnonceIntoHa1) {
  DigestChallenge challenge = rfc7616_challenge(sip::DigestAlgorithm::sha256_sess);
  auto value = digest_authorization(challenge, kMufasa, "GET", "/dir/index.html", 1, kCnonce);
  ASSERT_TRUE(value) << value.error();
  // RFC 7616 §3.4.2: A1 = H(user:realm:password):nonce:cnonce.
  const auto inner = digest_ha1(sip::DigestAlgorithm::sha256, "Mufasa", kRealm, "Circle of Life");
  const auto ha1 = digest_hex(sip::DigestAlgorithm::sha256, {*inner, kNonce, kCnonce});
  const auto ha2 = digest_hex(sip::DigestAlgorithm::sha256, {"GET", "/dir/index.html"});
  const auto expected =
      digest_hex(sip::DigestAlgorithm::sha256, {*ha1, kNonce, "00000001", kCnonce, "auth", *ha2});
  EXPECT_EQ(parsed(*value).response(), *expected);
  EXPECT_EQ(parsed(*value).algorithm_name(), "SHA-256-sess");
}

TEST(AnswerableChallenges, Sha256WinsOverMd5WhateverTheOrder) {
  for (bool md5_first : {false, true}) {
    const std::string sha = www("osprey", "n1", "SHA-256");
    const std::string md5 = www("osprey", "n2", "MD5");
    const auto found = answerable_challenges(challenge_response(401, md5_first ? md5 + sha : sha + md5));
    ASSERT_EQ(found.size(), 1u) << md5_first;
    EXPECT_EQ(found[0].algorithm, sip::DigestAlgorithm::sha256);
    EXPECT_EQ(found[0].nonce, "n1");
    EXPECT_EQ(found[0].answer_header, sip::HeaderId::authorization);
    EXPECT_TRUE(found[0].qop_auth);
  }
}

TEST(AnswerableChallenges, OtherSchemesAndUnknownAlgorithmsAreIgnored) {
  const auto found = answerable_challenges(challenge_response(
      401, "WWW-Authenticate: Bearer realm=\"osprey\"\r\n" + www("osprey", "n1", "SHA-999") +
               "WWW-Authenticate: Digest realm=\"osprey\", qop=\"auth\"\r\n" +  // no nonce
               www("osprey", "n2", "MD5")));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].algorithm, sip::DigestAlgorithm::md5);
  EXPECT_EQ(found[0].nonce, "n2");
}

TEST(AnswerableChallenges, QopMustOfferAuth) {
  EXPECT_TRUE(
      answerable_challenges(challenge_response(401, www("r", "n", "MD5", ", qop=\"auth-int\""))).empty());
  const auto both =
      answerable_challenges(challenge_response(401, www("r", "n", "MD5", ", qop=\"auth-int,auth\"")));
  ASSERT_EQ(both.size(), 1u);
  EXPECT_TRUE(both[0].qop_auth);
  // RFC 2617 form: no qop at all is answerable, but not with a -sess algorithm.
  const auto plain = answerable_challenges(challenge_response(401, www("r", "n", "MD5", "")));
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_FALSE(plain[0].qop_auth);
  EXPECT_TRUE(answerable_challenges(challenge_response(401, www("r", "n", "MD5-sess", ""))).empty());
}

TEST(AnswerableChallenges, NoAlgorithmMeansMd5AndStaleAndOpaqueAreRead) {
  const auto found = answerable_challenges(challenge_response(
      407, "Proxy-Authenticate: Digest realm=\"p\", nonce=\"n\", opaque=\"o\", stale=true\r\n"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].algorithm, sip::DigestAlgorithm::md5);  // RFC 7616 §3.3
  EXPECT_EQ(found[0].answer_header, sip::HeaderId::proxy_authorization);
  EXPECT_EQ(found[0].opaque, "o");
  EXPECT_TRUE(found[0].stale);
  EXPECT_FALSE(found[0].qop_auth);
}

TEST(AnswerableChallenges, AMalformedLineDoesNotHideTheOthers) {
  const auto found = answerable_challenges(challenge_response(
      401, "WWW-Authenticate: Digest realm=\"unterminated\r\n" + www("ok", "n", "SHA-256")));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].realm, "ok");
}

TEST(RandomCnonce, IsLongAndDiffers) {
  const std::string a = random_cnonce();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, random_cnonce());
}

}  // namespace
}  // namespace osprey::security
