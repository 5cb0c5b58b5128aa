#include "client/digest_credentials.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "digest_test_messages.hpp"
#include "security/digest_hash.hpp"
#include "sip/auth_headers.hpp"

namespace osprey::client {
namespace {

using osprey::testing::challenge_response;
using osprey::testing::lines_of;
using osprey::testing::parsed;
using osprey::testing::register_request;
using osprey::testing::www;

const DigestAccount kMufasa{"Mufasa", "Circle of Life"};

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

}  // namespace
}  // namespace osprey::client
