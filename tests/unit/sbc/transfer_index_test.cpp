// The shared index of attended transfer (sbc/transfer_index.hpp): dialogs of every worker's
// calls, and transfer tokens that are unguessable, bound to one trunk, single-use, short-lived
// and bounded in number.
#include "sbc/transfer_index.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace osprey::sbc {
namespace {

using Clock = TransferIndex::Clock;

const DialogIds kUserLeg{"caller-1@192.0.2.9", "osp-u", "alice-u"};
const DialogIds kTrunkLeg{"0f1e2d", "osp-t", "carrier-t"};
const LegPeer kAlice{{}, "sip:alice@example.com", "192.0.2.9"};
const LegPeer kCarrier{"carrier", {}, {}};
const std::string kReferrer = "sip:alice@example.com";

TransferGrant grant() { return TransferGrant{"carrier", "sip:carol@example.com", "c1;to-tag=t;from-tag=f"}; }

TEST(TransferIndexTest, ACallsLegsNameEachOtherUntilRemoved) {
  TransferIndex index;
  // Added by one worker's thread, found by another's.
  std::thread worker(
      [&] { index.add_call(kUserLeg, kAlice, "sip:alice@192.0.2.9", kTrunkLeg, kCarrier, "sip:gw@x"); });
  worker.join();
  auto from_user = index.find(kUserLeg);
  ASSERT_TRUE(from_user);
  EXPECT_EQ(from_user->peer, kAlice);
  EXPECT_EQ(from_user->other, kTrunkLeg);
  EXPECT_EQ(from_user->other_peer, kCarrier);
  EXPECT_EQ(from_user->other_target, "sip:gw@x");
  auto from_trunk = index.find(kTrunkLeg);
  ASSERT_TRUE(from_trunk);
  EXPECT_EQ(from_trunk->other, kUserLeg);
  EXPECT_EQ(from_trunk->other_peer, kAlice);
  // The same ids with the tags swapped (the peer's view) are another dialog.
  EXPECT_FALSE(index.find(DialogIds{kUserLeg.call_id, kUserLeg.remote_tag, kUserLeg.local_tag}));
  index.remove_call(kUserLeg, kTrunkLeg);
  EXPECT_FALSE(index.find(kUserLeg));
  EXPECT_EQ(index.dialog_count(), 0u);
}

TEST(TransferIndexTest, ATokenIsRedeemedOnceByItsTrunk) {
  TransferIndex index;
  const auto now = Clock::now();
  auto user = index.issue("referrer-1", kReferrer, grant(), now);
  ASSERT_TRUE(user);
  auto redeemed = index.redeem(*user, "carrier", now);
  ASSERT_TRUE(redeemed);
  EXPECT_EQ(redeemed->user, "sip:carol@example.com");
  EXPECT_EQ(redeemed->replaces, "c1;to-tag=t;from-tag=f");
  // A replay (the same INVITE again, or someone who saw it) finds nothing.
  auto replayed = index.redeem(*user, "carrier", now);
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.error(), RedeemRefusal::unknown);
  EXPECT_EQ(index.token_count(), 0u);
}

TEST(TransferIndexTest, AnotherTrunkCannotUseItNorSpoilIt) {
  TransferIndex index;
  const auto now = Clock::now();
  auto user = index.issue("referrer-1", kReferrer, grant(), now);
  ASSERT_TRUE(user);
  auto foreign = index.redeem(*user, "other-carrier", now);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error(), RedeemRefusal::foreign_trunk);
  EXPECT_TRUE(index.redeem(*user, "carrier", now));
}

TEST(TransferIndexTest, ATokenExpiresAfter64T1) {
  TransferIndex index;
  const auto now = Clock::now();
  auto user = index.issue("referrer-1", kReferrer, grant(), now);
  ASSERT_TRUE(user);
  auto late = index.redeem(*user, "carrier", now + TransferIndex::kTokenLifetime);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), RedeemRefusal::unknown);
  EXPECT_EQ(index.token_count(), 0u);
}

TEST(TransferIndexTest, TokensAre128RandomBitsAtOsprey) {
  TransferIndex index;
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) {
    auto user = index.issue("referrer-" + std::to_string(i), "sip:user" + std::to_string(i) + "@example.com",
                            grant(), Clock::now());
    ASSERT_TRUE(user);
    ASSERT_TRUE(user->starts_with(kTransferUserPrefix)) << *user;
    const std::string digits = user->substr(kTransferUserPrefix.size());
    EXPECT_EQ(digits.size(), 32u);
    EXPECT_EQ(digits.find_first_not_of("0123456789abcdef"), std::string::npos) << digits;
    seen.insert(digits);
  }
  EXPECT_EQ(seen.size(), 64u);
  // Something that only looks like one, or a guess, is unknown.
  EXPECT_FALSE(index.redeem("b2x.00000000000000000000000000000000", "carrier", Clock::now()));
  EXPECT_FALSE(index.redeem("alice", "carrier", Clock::now()));
}

TEST(TransferIndexTest, AReferFloodHoldsOneTokenPerReferrerAndTheTotalIsBounded) {
  TransferIndex index;
  const auto now = Clock::now();
  // The same referrer again and again: its earlier token is void, the count stays at one.
  std::optional<std::string> first = index.issue("referrer-1", kReferrer, grant(), now);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(index.issue("referrer-1", kReferrer, grant(), now));
  EXPECT_EQ(index.token_count(), 1u);
  EXPECT_FALSE(index.redeem(*first, "carrier", now));
  // Many referrers: at most kMaxTokens live; the next is refused until some expire.
  for (std::size_t i = index.token_count(); i < TransferIndex::kMaxTokens; ++i)
    ASSERT_TRUE(index.issue("many-" + std::to_string(i), "sip:user" + std::to_string(i) + "@example.com",
                            grant(), now));
  EXPECT_EQ(index.token_count(), TransferIndex::kMaxTokens);
  EXPECT_FALSE(index.issue("one-more", "sip:late@example.com", grant(), now));
  EXPECT_TRUE(index.issue("one-more", "sip:late@example.com", grant(), now + TransferIndex::kTokenLifetime));
  EXPECT_EQ(index.token_count(), 1u);
}

TEST(TransferIndexTest, OneReferrerCannotTakeEveryToken) {
  // Alice has many calls (ringing ones cost nothing) and REFERs on each: she holds at most
  // kMaxTokensPerReferrer, and everyone else still gets one.
  TransferIndex index;
  const auto now = Clock::now();
  std::optional<std::string> kept;
  for (std::size_t i = 0; i < TransferIndex::kMaxTokens; ++i) {
    auto user = index.issue("alice-call-" + std::to_string(i), kReferrer, grant(), now);
    if (i < TransferIndex::kMaxTokensPerReferrer) {
      ASSERT_TRUE(user) << i;
      kept = user;
    } else {
      ASSERT_FALSE(user) << i;
    }
  }
  EXPECT_EQ(index.token_count(), TransferIndex::kMaxTokensPerReferrer);
  EXPECT_TRUE(index.issue("bob-call-1", "sip:bob@example.com", grant(), now));
  // A token of hers spent (or expired) gives her room for one more.
  ASSERT_TRUE(index.redeem(*kept, "carrier", now));
  EXPECT_TRUE(index.issue("alice-call-next", kReferrer, grant(), now));
  EXPECT_FALSE(index.issue("alice-call-after", kReferrer, grant(), now));
  EXPECT_TRUE(index.issue("alice-call-later", kReferrer, grant(), now + TransferIndex::kTokenLifetime));
}

}  // namespace
}  // namespace osprey::sbc
