#include "sbc/trunk_challenge_answer.hpp"

#include <gtest/gtest.h>

#include "security/digest_hash.hpp"
#include "sip/auth_headers.hpp"
#include "sip_test_messages.hpp"

namespace osprey::sbc {
namespace {

using testing::challenge_line;
using testing::challenge_response;
using testing::invite_toward_trunk;
using testing::lines_of;

TrunkChallengeAnswer answerer(std::string realm = {}) {
  return TrunkChallengeAnswer(TrunkCredentials{"osprey-trunk", "s3cret", std::move(realm)},
                              [] { return std::string("cn0nce"); });
}

// The parameters view `line`, which must outlive them.
sip::AuthParams credentials_in(const std::string& line) {
  auto params = sip::parse_credentials(line);
  EXPECT_TRUE(params) << line;
  return params ? std::move(*params) : sip::AuthParams{};
}

// What a trunk computes for qop=auth (RFC 7616 §3.4.1) from the password it knows.
std::string expected_response(sip::DigestAlgorithm algorithm, std::string_view realm, std::string_view nonce,
                              std::string_view nc) {
  const auto ha1 = security::digest_ha1(algorithm, "osprey-trunk", realm, "s3cret");
  const auto ha2 = security::digest_hex(algorithm, {"INVITE", "sip:+442071234567@carrier.example.com"});
  return *security::digest_hex(algorithm, {*ha1, nonce, nc, "cn0nce", "auth", *ha2});
}

TEST(TrunkChallengeAnswer, AnswersA407WithProxyAuthorizationTheTrunkCanVerify) {
  auto answer = answerer();
  const sip::Message request = invite_toward_trunk();
  auto again = answer.answer(request, challenge_response(407, challenge_line(407, "carrier", "n1", "MD5")));
  ASSERT_TRUE(again);
  EXPECT_TRUE(lines_of(*again, sip::HeaderId::authorization).empty());
  const auto lines = lines_of(*again, sip::HeaderId::proxy_authorization);
  ASSERT_EQ(lines.size(), 1u);
  const sip::AuthParams sent = credentials_in(lines[0]);
  EXPECT_EQ(sent.username(), "osprey-trunk");
  EXPECT_EQ(sent.realm(), "carrier");
  EXPECT_EQ(sent.uri(), "sip:+442071234567@carrier.example.com");
  EXPECT_EQ(sent.nc(), 1u);
  EXPECT_EQ(sent.cnonce(), "cn0nce");
  EXPECT_EQ(sent.response(), expected_response(sip::DigestAlgorithm::md5, "carrier", "n1", "00000001"));
  // The caller's part: CSeq and Via are those of the request given.
  EXPECT_EQ(again->cseq()->number, 1u);
  EXPECT_EQ(again->call_id(), request.call_id());
}

TEST(TrunkChallengeAnswer, A401IsAnsweredWithAuthorizationAndTheStrongestAlgorithm) {
  auto answer = answerer();
  auto again = answer.answer(invite_toward_trunk(),
                             challenge_response(401, challenge_line(401, "carrier", "n1", "MD5") +
                                                         challenge_line(401, "carrier", "n1", "SHA-256")));
  ASSERT_TRUE(again);
  const auto lines = lines_of(*again, sip::HeaderId::authorization);
  ASSERT_EQ(lines.size(), 1u);
  const sip::AuthParams sent = credentials_in(lines[0]);
  EXPECT_EQ(sent.algorithm(), sip::DigestAlgorithm::sha256);
  EXPECT_EQ(sent.response(), expected_response(sip::DigestAlgorithm::sha256, "carrier", "n1", "00000001"));
}

TEST(TrunkChallengeAnswer, WithoutQopTheRfc2617FormIsSent) {
  auto answer = answerer();
  auto again = answer.answer(invite_toward_trunk(),
                             challenge_response(401, challenge_line(401, "c", "n1", "MD5", "")));
  ASSERT_TRUE(again);
  const auto lines = lines_of(*again, sip::HeaderId::authorization);
  const sip::AuthParams sent = credentials_in(lines.at(0));
  EXPECT_FALSE(sent.qop());
  EXPECT_FALSE(sent.cnonce());
}

TEST(TrunkChallengeAnswer, TheConfiguredRealmOnly) {
  auto answer = answerer("carrier");
  EXPECT_FALSE(answer.answer(invite_toward_trunk(),
                             challenge_response(407, challenge_line(407, "elsewhere", "n", "MD5"))));
  auto again = answer.answer(invite_toward_trunk(),
                             challenge_response(407, challenge_line(407, "elsewhere", "n", "MD5") +
                                                         challenge_line(407, "carrier", "n2", "MD5")));
  ASSERT_TRUE(again);
  const auto lines = lines_of(*again, sip::HeaderId::proxy_authorization);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(credentials_in(lines[0]).realm(), "carrier");
}

TEST(TrunkChallengeAnswer, ARealmChallengedAgainEndsTheAttemptInsteadOfLooping) {
  auto answer = answerer();
  auto first = answer.answer(invite_toward_trunk(),
                             challenge_response(407, challenge_line(407, "carrier", "n1", "MD5")));
  ASSERT_TRUE(first);
  // Wrong password: the trunk challenges again, with a new nonce and no stale flag.
  EXPECT_FALSE(answer.answer(*first, challenge_response(407, challenge_line(407, "carrier", "n2", "MD5"))));
  EXPECT_EQ(answer.rounds(), 1);
}

TEST(TrunkChallengeAnswer, StaleIsAnsweredWithTheNewNonceABoundedNumberOfTimes) {
  auto answer = answerer();
  auto first = answer.answer(invite_toward_trunk(),
                             challenge_response(401, challenge_line(401, "carrier", "n1", "MD5")));
  ASSERT_TRUE(first);
  // stale with the nonce already answered is no progress: refused.
  EXPECT_FALSE(answer.answer(*first, challenge_response(401, challenge_line(401, "carrier", "n1", "MD5",
                                                                            ", qop=\"auth\", stale=true"))));
  sip::Message current = std::move(*first);
  for (int round = 0; round < TrunkChallengeAnswer::kMaxStaleRounds; ++round) {
    const std::string nonce = "fresh" + std::to_string(round);
    auto again = answer.answer(
        current,
        challenge_response(401, challenge_line(401, "carrier", nonce, "MD5", ", qop=\"auth\", stale=TRUE")));
    ASSERT_TRUE(again) << round;
    const auto lines = lines_of(*again, sip::HeaderId::authorization);
    const sip::AuthParams sent = credentials_in(lines.at(0));
    EXPECT_EQ(sent.nonce(), nonce);
    EXPECT_EQ(sent.nc(), 1u);  // a new nonce counts from 1
    current = std::move(*again);
  }
  EXPECT_FALSE(answer.answer(current, challenge_response(401, challenge_line(401, "carrier", "last", "MD5",
                                                                             ", qop=\"auth\", stale=true"))));
}

TEST(TrunkChallengeAnswer, A407ThenA401CarryBothCredentials) {
  auto answer = answerer();
  auto first =
      answer.answer(invite_toward_trunk(), challenge_response(407, challenge_line(407, "edge", "p1", "MD5")));
  ASSERT_TRUE(first);
  auto second = answer.answer(*first, challenge_response(401, challenge_line(401, "core", "w1", "SHA-256")));
  ASSERT_TRUE(second);
  const auto proxy_lines = lines_of(*second, sip::HeaderId::proxy_authorization);
  ASSERT_EQ(proxy_lines.size(), 1u);
  EXPECT_EQ(lines_of(*second, sip::HeaderId::authorization).size(), 1u);
  // The proxy realm's nonce is used a second time: nc 2 (RFC 7616 §3.4).
  EXPECT_EQ(credentials_in(proxy_lines[0]).nc(), 2u);
}

TEST(TrunkChallengeAnswer, ATrunkNamingANewRealmEachTimeCannotKeepOspreyAnswering) {
  auto answer = answerer();
  sip::Message current = invite_toward_trunk();
  int answered = 0;
  for (int round = 0; round < 20; ++round) {
    const std::string realm = "realm" + std::to_string(round);
    auto again = answer.answer(current, challenge_response(407, challenge_line(407, realm, "n", "MD5")));
    if (!again) break;
    ++answered;
    current = std::move(*again);
  }
  EXPECT_EQ(answered, static_cast<int>(TrunkChallengeAnswer::kMaxRealms));
  // Nor can one response with many realms.
  auto fresh = answerer();
  std::string many;
  for (int i = 0; i < 10; ++i) many += challenge_line(407, "r" + std::to_string(i), "n", "MD5");
  EXPECT_FALSE(fresh.answer(invite_toward_trunk(), challenge_response(407, many)));
}

TEST(TrunkChallengeAnswer, NothingToAnswer) {
  auto answer = answerer();
  const sip::Message request = invite_toward_trunk();
  EXPECT_FALSE(answer.answer(request, challenge_response(403, "")));
  EXPECT_FALSE(answer.answer(request, challenge_response(401, "")));
  EXPECT_FALSE(answer.answer(request, challenge_response(401, "WWW-Authenticate: Basic realm=\"x\"\r\n")));
  EXPECT_FALSE(answer.answer(
      request, challenge_response(401, challenge_line(401, "c", "n", "MD5", ", qop=\"auth-int\""))));
  // A 407 whose challenge sits in WWW-Authenticate is not a proxy's challenge.
  EXPECT_FALSE(answer.answer(request, challenge_response(407, challenge_line(401, "c", "n", "MD5"))));
}

}  // namespace
}  // namespace osprey::sbc
