#include "sbc/trunk_authenticator.hpp"

#include <gtest/gtest.h>

#include "recording_transport.hpp"
#include "sbc/trunk_challenge_answer.hpp"
#include "sip_test_messages.hpp"

namespace osprey::sbc {
namespace {

using osprey::testing::endpoint;
using testing::lines_of;
using testing::parsed_message;

constexpr std::int64_t kNow = 1'800'000'000;

security::NonceService::Secret test_secret() {
  security::NonceService::Secret secret;
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return secret;
}

Trunk carrier_trunk(std::optional<TrunkCredentials> inbound = TrunkCredentials{"carrier", "pa55", ""}) {
  Trunk trunk;
  trunk.name = "carrier";
  trunk.sources = *security::AddressSet::parse(std::vector<std::string>{"192.0.2.0/24"});
  trunk.inbound_credentials = std::move(inbound);
  return trunk;
}

sip::Message invite_from_trunk(const std::string& method = "INVITE") {
  return parsed_message(method +
                        " sip:alice@osprey.example.net SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKt1\r\n"
                        "Max-Forwards: 70\r\n"
                        "From: <sip:+442071234567@carrier.example.com>;tag=c1\r\n"
                        "To: <sip:alice@osprey.example.net>\r\n"
                        "Call-ID: from-trunk-1\r\n"
                        "CSeq: 1 " +
                        method +
                        "\r\n"
                        "Contact: <sip:gw@192.0.2.10>\r\n"
                        "Content-Length: 0\r\n\r\n");
}

// The response osprey would send for `decision`, as the trunk receives it.
sip::Message answer_as_sent(const sip::Message& request, const TrunkAuthDecision& decision) {
  return parsed_message(sip::serialize_reply(request, *decision.answer, "osprey-tag"));
}

class TrunkAuthenticatorTest : public ::testing::Test {
 protected:
  security::NonceService nonces{test_secret()};
  security::NonceCounts counts;
  const net::Endpoint trunk_address = endpoint("192.0.2.10", 5060);
  const Trunk trunk = carrier_trunk();
  TrunkAuthenticators authenticators{{trunk}, "osprey.example.net", nonces, counts};
  const sip::Message first = invite_from_trunk();

  // The INVITE again, after osprey challenged `first` at kNow, answered with `password` by
  // `trunk_side` (osprey's own answerer, standing for the trunk).
  sip::Message answered(TrunkChallengeAnswer& trunk_side) {
    const TrunkAuthDecision challenge = authenticators.check(first, trunk_address, trunk, kNow);
    EXPECT_EQ(challenge.outcome, TrunkAuthOutcome::challenge);
    auto again = trunk_side.answer(first, answer_as_sent(first, challenge));
    EXPECT_TRUE(again);
    return again ? std::move(*again) : first.clone();
  }
};

TrunkChallengeAnswer trunk_side(std::string password = "pa55") {
  return TrunkChallengeAnswer(TrunkCredentials{"carrier", std::move(password), ""});
}

TEST_F(TrunkAuthenticatorTest, ATrunkWithoutInboundCredentialsPassesFromItsSources) {
  const Trunk open_trunk = carrier_trunk(std::nullopt);
  TrunkAuthenticators open({open_trunk}, "osprey.example.net", nonces, counts);
  EXPECT_EQ(open.check(first, trunk_address, open_trunk, kNow).outcome, TrunkAuthOutcome::pass);
  const auto elsewhere = open.check(first, endpoint("198.51.100.1", 5060), open_trunk, kNow);
  EXPECT_EQ(elsewhere.outcome, TrunkAuthOutcome::refuse);
  EXPECT_EQ(elsewhere.answer->status, 403);
}

TEST_F(TrunkAuthenticatorTest, ChallengeThenTheTrunksAnswerPasses) {
  const TrunkAuthDecision challenge = authenticators.check(first, trunk_address, trunk, kNow);
  ASSERT_EQ(challenge.outcome, TrunkAuthOutcome::challenge);
  ASSERT_EQ(challenge.answer->status, 407);
  ASSERT_EQ(challenge.answer->headers.size(), 2u);  // SHA-256, then MD5 (RFC 8760 §2.4)
  EXPECT_EQ(challenge.answer->headers[0].first, "Proxy-Authenticate");
  EXPECT_NE(challenge.answer->headers[0].second.find("realm=\"osprey.example.net\""), std::string::npos);

  // The trunk side answers as osprey itself would answer a trunk.
  auto genuine = trunk_side();
  auto again = genuine.answer(first, answer_as_sent(first, challenge));
  ASSERT_TRUE(again);
  const TrunkAuthDecision passed = authenticators.check(*again, trunk_address, trunk, kNow + 1);
  EXPECT_EQ(passed.outcome, TrunkAuthOutcome::pass) << passed.reason;
  EXPECT_EQ(passed.user, "carrier");
  EXPECT_EQ(passed.verified_realm, "osprey.example.net");

  // The same credentials replayed (same nonce count) are not accepted twice.
  EXPECT_NE(authenticators.check(*again, trunk_address, trunk, kNow + 2).outcome, TrunkAuthOutcome::pass);
}

TEST_F(TrunkAuthenticatorTest, AWrongPasswordIsRefused403) {
  auto guesser = trunk_side("guess");
  const auto decision = authenticators.check(answered(guesser), trunk_address, trunk, kNow);
  EXPECT_EQ(decision.outcome, TrunkAuthOutcome::refuse);
  EXPECT_EQ(decision.answer->status, 403);
}

TEST_F(TrunkAuthenticatorTest, TheNonceIsBoundToTheTrunksAddress) {
  auto genuine = trunk_side();
  const sip::Message again = answered(genuine);
  // Another address of the same trunk's range presents them: a fresh challenge, not a pass.
  EXPECT_EQ(authenticators.check(again, endpoint("192.0.2.99", 5060), trunk, kNow).outcome,
            TrunkAuthOutcome::challenge);
}

TEST_F(TrunkAuthenticatorTest, AnAgedNonceIsChallengedAgainAsStale) {
  auto genuine = trunk_side();
  const sip::Message again = answered(genuine);
  const auto late = authenticators.check(again, trunk_address, trunk, kNow + nonces.lifetime_seconds() + 10);
  ASSERT_EQ(late.outcome, TrunkAuthOutcome::challenge);
  EXPECT_NE(late.answer->headers.at(0).second.find("stale=true"), std::string::npos);
  // And the trunk side, seeing stale=true, answers once more.
  EXPECT_TRUE(genuine.answer(again, answer_as_sent(again, late)));
}

TEST_F(TrunkAuthenticatorTest, AckIsDroppedCancelRefusedMalformedIs400) {
  EXPECT_EQ(authenticators.check(invite_from_trunk("ACK"), trunk_address, trunk, kNow).outcome,
            TrunkAuthOutcome::drop);
  EXPECT_EQ(authenticators.check(invite_from_trunk("CANCEL"), trunk_address, trunk, kNow).answer->status,
            403);
  sip::Message broken = invite_from_trunk();
  broken.add_header(sip::HeaderId::proxy_authorization, "Digest username=\"carrier\", realm=");
  const auto decision = authenticators.check(broken, trunk_address, trunk, kNow);
  EXPECT_EQ(decision.outcome, TrunkAuthOutcome::refuse);
  EXPECT_EQ(decision.answer->status, 400);
}

TEST_F(TrunkAuthenticatorTest, ATrunkWhoseCredentialsWereNotLoadedIsRefused) {
  TrunkAuthenticators none({}, "osprey.example.net", nonces, counts);
  const auto decision = none.check(first, trunk_address, trunk, kNow);
  EXPECT_EQ(decision.outcome, TrunkAuthOutcome::refuse);
  EXPECT_EQ(decision.answer->status, 403);
}

TEST_F(TrunkAuthenticatorTest, TheConfiguredRealmIsChallengedAndOnlyItsCredentialsCount) {
  const Trunk own_realm = carrier_trunk(TrunkCredentials{"carrier", "pa55", "sbc.example.net"});
  TrunkAuthenticators realm_authenticators({own_realm}, "osprey.example.net", nonces, counts);
  const auto challenge = realm_authenticators.check(first, trunk_address, own_realm, kNow);
  ASSERT_EQ(challenge.outcome, TrunkAuthOutcome::challenge);
  EXPECT_NE(challenge.answer->headers.at(0).second.find("realm=\"sbc.example.net\""), std::string::npos);
  auto genuine = trunk_side();
  auto again = genuine.answer(first, answer_as_sent(first, challenge));
  ASSERT_TRUE(again);
  EXPECT_EQ(realm_authenticators.check(*again, trunk_address, own_realm, kNow).outcome,
            TrunkAuthOutcome::pass);
}

}  // namespace
}  // namespace osprey::sbc
