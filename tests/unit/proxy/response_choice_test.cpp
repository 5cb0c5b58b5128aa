#include "proxy/response_choice.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace osprey::proxy {
namespace {

// RFC 3261 §16.7 step 6.
TEST(BetterResponse, AnythingBeatsNothing) { EXPECT_TRUE(better_response(500, 0)); }

TEST(BetterResponse, SixHundredsWinThenTheLowestClass) {
  EXPECT_TRUE(better_response(603, 404));
  EXPECT_FALSE(better_response(404, 603));
  EXPECT_TRUE(better_response(404, 500));
  EXPECT_TRUE(better_response(302, 404));
  EXPECT_FALSE(better_response(503, 486));
}

TEST(BetterResponse, ChallengesAndFixableErrorsFirstWithin4xx) {
  EXPECT_TRUE(better_response(407, 404));
  EXPECT_TRUE(better_response(401, 486));
  EXPECT_FALSE(better_response(404, 401));
}

TEST(BetterResponse, EarlierWinsATie) { EXPECT_FALSE(better_response(486, 404)); }

// RFC 4320 §4.2: a non-INVITE's 408 loses to any other final; an INVITE's ranks as usual.
TEST(BetterFinal, A408LosesForNonInviteOnly) {
  EXPECT_FALSE(better_final(false, 408, 500));
  EXPECT_TRUE(better_final(false, 500, 408));
  EXPECT_TRUE(better_final(true, 408, 500));
  EXPECT_TRUE(better_final(false, 408, 0));
}

// §16.10, §16.7 step 6.
TEST(ChooseFinal, CancelledWithoutAResponseIsOur487) {
  const FinalAnswer answer = choose_final(true, false, 408);
  EXPECT_FALSE(answer.forward_best);
  EXPECT_EQ(answer.status, 487);
  EXPECT_EQ(choose_final(true, true, 503).status, 487);
  EXPECT_TRUE(choose_final(true, true, 487).forward_best);
}

TEST(ChooseFinal, A503BecomesOur500AndNothingAt480) {
  EXPECT_FALSE(choose_final(false, true, 503).forward_best);
  EXPECT_EQ(choose_final(false, true, 503).status, 500);
  EXPECT_EQ(choose_final(false, false, 503).status, 500);
  EXPECT_EQ(choose_final(false, false, 0).status, 480);
  EXPECT_EQ(choose_final(false, false, 482).status, 482);
  EXPECT_TRUE(choose_final(false, true, 486).forward_best);
}

// RFC 5626 §5.3, §11.5: a failed flow is the least a branch can say, and never reaches the caller.
TEST(ChooseFinal, A430LosesToAnyOther4xxAndGoesUpstreamAs480) {
  EXPECT_TRUE(better_response(486, 430));
  EXPECT_FALSE(better_response(430, 404));
  EXPECT_TRUE(better_response(430, 500));
  EXPECT_FALSE(choose_final(false, false, 430).forward_best);
  EXPECT_EQ(choose_final(false, false, 430).status, 480);
  EXPECT_EQ(choose_final(false, true, 430).status, 480);  // a downstream edge proxy's 430 too
}

// §16.7 step 7: the other branches' challenges join the forwarded 401/407.
TEST(Challenges, OtherBranchesOnly) {
  auto first = sip::Message::parse(std::string(
      "SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP a.example;branch=z9hG4bK1\r\n"
      "From: <sip:a@a.example>;tag=1\r\nTo: <sip:b@b.example>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
      "Proxy-Authenticate: Digest realm=\"one\", nonce=\"n1\"\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_TRUE(first);
  auto second = sip::Message::parse(std::string(
      "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP a.example;branch=z9hG4bK1\r\n"
      "From: <sip:a@a.example>;tag=1\r\nTo: <sip:b@b.example>;tag=3\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
      "WWW-Authenticate: Digest realm=\"two\", nonce=\"n2\"\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_TRUE(second);
  std::vector<BranchChallenge> challenges;
  collect_challenges(challenges, 0, *first);
  collect_challenges(challenges, 1, *second);
  ASSERT_EQ(challenges.size(), 2u);
  add_other_challenges(*first, challenges, 0);
  EXPECT_EQ(first->count(sip::HeaderId::proxy_authenticate), 1u);
  EXPECT_EQ(first->count(sip::HeaderId::www_authenticate), 1u);
}

}  // namespace
}  // namespace osprey::proxy
