#include "client/digest_credentials.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "security/digest_hash.hpp"
#include "sip/auth_headers.hpp"

namespace osprey::client {
namespace {

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

sip::AuthParams parsed(const std::string& value) {
  auto credentials = sip::parse_credentials(value);
  EXPECT_TRUE(credentials) << value;
  return credentials ? std::move(*credentials) : sip::AuthParams{};
}

sip::Message message(const std::string& text) {
  auto message = sip::Message::parse(text);
  EXPECT_TRUE(message) << (message ? "" : message.error().reason);
  return std::move(*message);
}

sip::Message challenge_response(int status, const std::string& challenge_headers) {
  return message("SIP/2.0 " + std::to_string(status) +
                 " Challenge\r\n"
                 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
                 "From: <sip:alice@example.com>;tag=a1\r\n"
                 "To: <sip:alice@example.com>;tag=r1\r\n"
                 "Call-ID: c1\r\n"
                 "CSeq: 1 REGISTER\r\n" +
                 challenge_headers + "Content-Length: 0\r\n\r\n");
}

sip::Message register_request() {
  return message(
      "REGISTER sip:example.com SIP/2.0\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:alice@example.com>;tag=a1\r\n"
      "To: <sip:alice@example.com>\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 REGISTER\r\n"
      "Content-Length: 0\r\n\r\n");
}

std::string www(std::string_view realm, std::string_view nonce, std::string_view algorithm,
                std::string_view extra = ", qop=\"auth\"") {
  return "WWW-Authenticate: Digest realm=\"" + std::string(realm) + "\", nonce=\"" + std::string(nonce) +
         "\", algorithm=" + std::string(algorithm) + std::string(extra) + "\r\n";
}

std::vector<std::string> lines_of(const sip::Message& request, sip::HeaderId id) {
  std::vector<std::string> lines;
  request.for_each_line(id, [&](std::string_view value) {
    lines.emplace_back(value);
    return true;
  });
  return lines;
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
  const auto ha1 = security::digest_ha1(sip::DigestAlgorithm::md5, "Mufasa", kRealm, "Circle of Life");
  const auto ha2 = security::digest_hex(sip::DigestAlgorithm::md5, {"REGISTER", "sip:example.com"});
  const auto expected = security::digest_hex(sip::DigestAlgorithm::md5, {*ha1, kNonce, *ha2});
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
  const auto inner = security::digest_ha1(sip::DigestAlgorithm::sha256, "Mufasa", kRealm, "Circle of Life");
  const auto ha1 = security::digest_hex(sip::DigestAlgorithm::sha256, {*inner, kNonce, kCnonce});
  const auto ha2 = security::digest_hex(sip::DigestAlgorithm::sha256, {"GET", "/dir/index.html"});
  const auto expected =
      security::digest_hex(sip::DigestAlgorithm::sha256, {*ha1, kNonce, "00000001", kCnonce, "auth", *ha2});
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

TEST(DigestCredentials, NcCountsPerNonceAndANewNonceStartsAgain) {
  int made = 0;
  DigestCredentials credentials(kMufasa, [&made] { return "cnonce" + std::to_string(++made); });
  EXPECT_FALSE(credentials.knows_any());
  ASSERT_EQ(credentials.learn(challenge_response(401, www("osprey", "n1", "SHA-256"))).size(), 1u);
  std::vector<std::uint32_t> counts;
  std::vector<std::string> cnonces;
  for (int i = 0; i < 2; ++i) {
    sip::Message request = register_request();
    ASSERT_TRUE(credentials.authorize(request));
    const auto lines = lines_of(request, sip::HeaderId::authorization);
    ASSERT_EQ(lines.size(), 1u);  // the earlier line replaced, not added to
    counts.push_back(parsed(lines[0]).nc().value_or(0));
    cnonces.push_back(parsed(lines[0]).unquoted("cnonce"));
  }
  EXPECT_EQ(counts, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_NE(cnonces[0], cnonces[1]);

  // The same nonce offered again keeps counting; a new one (stale) starts at 1.
  credentials.learn(challenge_response(401, www("osprey", "n1", "SHA-256")));
  sip::Message same = register_request();
  ASSERT_TRUE(credentials.authorize(same));
  EXPECT_EQ(parsed(lines_of(same, sip::HeaderId::authorization)[0]).nc(), 3u);
  credentials.learn(challenge_response(401, www("osprey", "n2", "SHA-256", ", qop=\"auth\", stale=true")));
  sip::Message renewed = register_request();
  ASSERT_TRUE(credentials.authorize(renewed));
  const auto renewed_lines = lines_of(renewed, sip::HeaderId::authorization);
  const sip::AuthParams after = parsed(renewed_lines[0]);
  EXPECT_EQ(after.nonce(), "n2");
  EXPECT_EQ(after.nc(), 1u);
}

TEST(DigestCredentials, AnswersEveryRealmWithItsOwnHeader) {
  // RFC 3261 §22.3: a 407 after two proxies, one challenge each; and a UAS's 401 realm.
  DigestCredentials credentials(kMufasa, [] { return std::string("c"); });
  const auto learned = credentials.learn(challenge_response(
      407,
      "Proxy-Authenticate: Digest realm=\"proxy-a\", nonce=\"na\", algorithm=SHA-256, qop=\"auth\"\r\n"
      "Proxy-Authenticate: Digest realm=\"proxy-b\", nonce=\"nb\", algorithm=MD5, qop=\"auth\"\r\n"
      "Proxy-Authenticate: Digest realm=\"proxy-a\", nonce=\"na5\", algorithm=MD5, qop=\"auth\"\r\n" +
          www("uas", "nu", "SHA-256")));
  ASSERT_EQ(learned.size(), 3u);
  sip::Message request = register_request();
  ASSERT_TRUE(credentials.authorize(request));
  const auto proxy = lines_of(request, sip::HeaderId::proxy_authorization);
  ASSERT_EQ(proxy.size(), 2u);
  EXPECT_EQ(parsed(proxy[0]).realm(), "proxy-a");
  EXPECT_EQ(parsed(proxy[0]).nonce(), "na");  // SHA-256 over MD5 within the realm
  EXPECT_EQ(parsed(proxy[0]).algorithm(), sip::DigestAlgorithm::sha256);
  EXPECT_EQ(parsed(proxy[1]).realm(), "proxy-b");
  EXPECT_EQ(parsed(proxy[1]).algorithm(), sip::DigestAlgorithm::md5);
  const auto uas = lines_of(request, sip::HeaderId::authorization);
  ASSERT_EQ(uas.size(), 1u);
  EXPECT_EQ(parsed(uas[0]).realm(), "uas");
  // RFC 3261 §22.4: the digest-uri is the Request-URI.
  EXPECT_EQ(parsed(uas[0]).uri(), "sip:example.com");
}

TEST(DigestCredentials, ResponseVerifiesAgainstTheRequest) {
  DigestCredentials credentials(DigestAccount{"alice", "secret"}, [] { return std::string("0a4f113b"); });
  credentials.learn(
      challenge_response(401, www("osprey", "abc", "SHA-256", ", qop=\"auth\", opaque=\"op\"")));
  sip::Message request = register_request();
  ASSERT_TRUE(credentials.authorize(request));
  const auto lines = lines_of(request, sip::HeaderId::authorization);
  const sip::AuthParams sent = parsed(lines[0]);
  const auto ha1 = security::digest_ha1(sip::DigestAlgorithm::sha256, "alice", "osprey", "secret");
  const auto ha2 = security::digest_hex(sip::DigestAlgorithm::sha256, {"REGISTER", "sip:example.com"});
  const auto expected =
      security::digest_hex(sip::DigestAlgorithm::sha256, {*ha1, "abc", "00000001", "0a4f113b", "auth", *ha2});
  EXPECT_EQ(sent.response(), *expected);
  EXPECT_EQ(sent.opaque(), "op");
  EXPECT_EQ(sent.username(), "alice");
}

TEST(DigestCredentials, RandomCnoncesAreLongAndDiffer) {
  const std::string a = random_cnonce();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, random_cnonce());
}

}  // namespace
}  // namespace osprey::client
