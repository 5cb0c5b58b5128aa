#include "client/challenge_rounds.hpp"

#include <string>

#include <gtest/gtest.h>

#include "client/request_factory.hpp"
#include "sip/auth_headers.hpp"

namespace osprey::client {
namespace {

const RequestIds kIds{"call-1@osprey", "tag-1", 1};

sip::Message first_register() {
  auto request = build_register(kIds, "sip:alice@example.com", "sip:osprey@127.0.0.1:5070", 600);
  EXPECT_TRUE(request);
  return std::move(*request);
}

Outcome response(int status, const std::string& headers = {}) {
  auto message = sip::Message::parse("SIP/2.0 " + std::to_string(status) +
                                     " X\r\n"
                                     "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
                                     "From: <sip:alice@example.com>;tag=tag-1\r\n"
                                     "To: <sip:alice@example.com>;tag=r1\r\n"
                                     "Call-ID: call-1@osprey\r\n"
                                     "CSeq: 1 REGISTER\r\n" +
                                     headers + "Content-Length: 0\r\n\r\n");
  EXPECT_TRUE(message) << (message ? "" : message.error().reason);
  return Outcome{std::move(*message), Failure::none, {}};
}

std::string challenge(std::string_view nonce, bool stale = false, std::string_view realm = "osprey") {
  const std::string tail = std::string(", qop=\"auth\"") + (stale ? ", stale=true" : "") + "\r\n";
  const std::string head = "WWW-Authenticate: Digest realm=\"" + std::string(realm) + "\", nonce=\"" +
                           std::string(nonce) + "\", algorithm=";
  // Like osprey's server: SHA-256 first, then MD5 (RFC 8760 §2.4).
  return head + "SHA-256" + tail + head + "MD5" + tail;
}

// The credentials a request carries, copied out of it (the request may be a temporary).
struct SentCredentials {
  std::string nonce;
  std::uint32_t nc = 0;
  sip::DigestAlgorithm algorithm = sip::DigestAlgorithm::other;
  std::string uri;
};

std::optional<SentCredentials> credentials_of(const sip::Message& request,
                                              sip::HeaderId id = sip::HeaderId::authorization) {
  auto value = request.first_value(id);
  if (!value) return std::nullopt;
  auto parsed = sip::parse_credentials(*value);
  if (!parsed) return std::nullopt;
  return SentCredentials{parsed->unquoted("nonce"), parsed->nc().value_or(0), parsed->algorithm(),
                         parsed->unquoted("uri")};
}

DigestCredentials alice() {
  return DigestCredentials(DigestAccount{"alice", "secret"}, [] { return std::string("c1"); });
}

TEST(ChallengeRounds, WithoutCredentialsAChallengeIsFinal) {
  ChallengeRounds rounds(first_register(), nullptr);
  EXPECT_FALSE(rounds.next(response(401, challenge("n1"))));
  EXPECT_FALSE(credentials_of(rounds.request()));
}

TEST(ChallengeRounds, AChallengeIsAnsweredWithTheNextCSeqInTheSameDialogIds) {
  DigestCredentials credentials = alice();
  ChallengeRounds rounds(first_register(), &credentials);
  EXPECT_FALSE(credentials_of(rounds.request()));  // nothing known yet: sent bare
  EXPECT_EQ(rounds.cseq(), 1u);
  ASSERT_TRUE(rounds.next(response(401, challenge("n1"))));
  const sip::Message retry = rounds.request();
  // RFC 3261 §8.1.3.5 / §22.2: a new CSeq, the same Call-ID and From tag.
  EXPECT_EQ(rounds.cseq(), 2u);
  ASSERT_TRUE(retry.cseq());
  EXPECT_EQ(retry.cseq()->number, 2u);
  EXPECT_EQ(retry.cseq()->method_text, "REGISTER");
  EXPECT_EQ(retry.call_id(), "call-1@osprey");
  ASSERT_TRUE(retry.from());
  EXPECT_EQ(retry.from()->tag(), "tag-1");
  EXPECT_EQ(retry.first_value(sip::HeaderId::expires), "600");
  const auto sent = credentials_of(retry);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->algorithm, sip::DigestAlgorithm::sha256);
  EXPECT_EQ(sent->nonce, "n1");
  EXPECT_EQ(sent->uri, "sip:example.com");
  EXPECT_EQ(retry.count(sip::HeaderId::cseq), 1u);
  // The answer to the credentials is final.
  EXPECT_FALSE(rounds.next(response(200)));
  EXPECT_TRUE(rounds.note().empty());
}

TEST(ChallengeRounds, ASecondChallengeWithoutStaleMeansRefusedCredentials) {
  DigestCredentials credentials = alice();
  ChallengeRounds rounds(first_register(), &credentials);
  ASSERT_TRUE(rounds.next(response(401, challenge("n1"))));
  EXPECT_FALSE(rounds.next(response(401, challenge("n2"))));
  EXPECT_NE(rounds.note().find("refused the credentials of \"alice\""), std::string::npos) << rounds.note();
}

TEST(ChallengeRounds, StaleRetriesWithTheNewNonceFromOne) {
  DigestCredentials credentials = alice();
  ChallengeRounds rounds(first_register(), &credentials);
  ASSERT_TRUE(rounds.next(response(401, challenge("n1"))));
  ASSERT_TRUE(rounds.next(response(401, challenge("n2", true))));
  const auto sent = credentials_of(rounds.request());
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->nonce, "n2");
  EXPECT_EQ(sent->nc, 1u);
  EXPECT_EQ(rounds.cseq(), 3u);
}

TEST(ChallengeRounds, AtMostThreeRounds) {
  DigestCredentials credentials = alice();
  ChallengeRounds rounds(first_register(), &credentials);
  ASSERT_TRUE(rounds.next(response(401, challenge("n1"))));
  ASSERT_TRUE(rounds.next(response(401, challenge("n2", true))));
  ASSERT_TRUE(rounds.next(response(401, challenge("n3", true))));
  EXPECT_FALSE(rounds.next(response(401, challenge("n4", true))));
  EXPECT_EQ(rounds.cseq(), 4u);
  EXPECT_NE(rounds.note().find("3 rounds"), std::string::npos) << rounds.note();
}

TEST(ChallengeRounds, ANewRealmAfterAnsweringOneIsAnotherRound) {
  // RFC 3261 §22.3: the proxy further on challenges once the first one let the request pass.
  DigestCredentials credentials = alice();
  ChallengeRounds rounds(first_register(), &credentials);
  ASSERT_TRUE(
      rounds.next(response(407, "Proxy-Authenticate: Digest realm=\"a\", nonce=\"na\", qop=\"auth\"\r\n")));
  ASSERT_TRUE(
      rounds.next(response(407, "Proxy-Authenticate: Digest realm=\"b\", nonce=\"nb\", qop=\"auth\"\r\n")));
  const sip::Message retry = rounds.request();
  EXPECT_EQ(retry.count(sip::HeaderId::proxy_authorization), 2u);  // both realms answered
}

TEST(ChallengeRounds, NothingToAnswerIsFinal) {
  DigestCredentials credentials = alice();
  ChallengeRounds rounds(first_register(), &credentials);
  EXPECT_FALSE(rounds.next(response(401, "WWW-Authenticate: Bearer realm=\"x\"\r\n")));
  EXPECT_FALSE(rounds.note().empty());
}

TEST(ChallengeRounds, KnownRealmsGoAlongAtOnceWithTheNextNc) {
  // A registration refresh: the credentials of the last exchange, nc 2 for the same nonce.
  DigestCredentials credentials = alice();
  {
    ChallengeRounds first(first_register(), &credentials);
    ASSERT_TRUE(first.next(response(401, challenge("n1"))));
    EXPECT_EQ(credentials_of(first.request())->nc, 1u);
  }
  RequestIds refresh_ids = kIds;
  refresh_ids.cseq = 3;
  auto refresh = build_register(refresh_ids, "sip:alice@example.com", "sip:osprey@127.0.0.1:5070", 600);
  ASSERT_TRUE(refresh);
  ChallengeRounds rounds(std::move(*refresh), &credentials);
  EXPECT_EQ(rounds.cseq(), 3u);
  const auto sent = credentials_of(rounds.request());
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->nonce, "n1");
  EXPECT_EQ(sent->nc, 2u);
  // The server forgot the nonce without saying stale: a fresh round, not a refusal.
  ASSERT_TRUE(rounds.next(response(401, challenge("n9"))));
  EXPECT_EQ(credentials_of(rounds.request())->nonce, "n9");
  EXPECT_EQ(rounds.cseq(), 4u);
}

}  // namespace
}  // namespace osprey::client
