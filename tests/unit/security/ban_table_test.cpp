#include "security/ban_table.hpp"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

namespace ip = boost::asio::ip;

const ip::address kAttacker = ip::make_address("203.0.113.1");
const ip::address kOther = ip::make_address("203.0.113.2");
constexpr std::int64_t kStart = 1'700'000'000;  // unix seconds

// Small numbers, so each rule shows in a few calls.
BanPolicy small_policy() {
  BanPolicy policy;
  policy.threshold = 3;
  policy.window_seconds = 60;
  policy.ban_seconds = 100;
  policy.max_ban_seconds = 350;
  policy.offence_memory_seconds = 1000;
  return policy;
}

AddressSet networks(std::vector<std::string> cidrs) { return AddressSet::parse(cidrs).value(); }

ip::address nth_address(std::uint32_t n) { return ip::address_v4(0x0a000000u + n); }  // 10.x.y.z

// `threshold` failures from `source` at `now`; returns the ban the last one placed, if any.
std::optional<Ban> fail_until_banned(BanTable& table, const ip::address& source, std::int64_t now) {
  std::optional<Ban> ban;
  for (int i = 0; i < 3; ++i) ban = table.record_failure(source, "", now);
  return ban;
}

TEST(BanTable, BansWhenTheThresholdIsReachedWithinTheWindow) {
  BanTable table(small_policy());
  EXPECT_FALSE(table.record_failure(kAttacker, "alice", kStart));
  EXPECT_FALSE(table.record_failure(kAttacker, "bob", kStart + 10));
  EXPECT_FALSE(table.is_banned(kAttacker, kStart + 10));
  const auto ban = table.record_failure(kAttacker, "carol", kStart + 59);
  ASSERT_TRUE(ban);
  EXPECT_EQ(ban->address, kAttacker);
  EXPECT_EQ(ban->since, kStart + 59);
  EXPECT_EQ(ban->until, kStart + 159);
  EXPECT_EQ(ban->offences, 1u);
  EXPECT_EQ(ban->reason, "3 failed authentications within 60 s");
  EXPECT_TRUE(table.is_banned(kAttacker, kStart + 59));
  EXPECT_TRUE(table.is_banned(kAttacker, kStart + 158));
  EXPECT_FALSE(table.is_banned(kAttacker, kStart + 159));  // expired bans read as not banned
  EXPECT_FALSE(table.is_banned(kOther, kStart + 59));
  EXPECT_EQ(table.size(), 1u);
}

TEST(BanTable, OneFailureShortOfTheThresholdDoesNotBan) {
  BanTable table(small_policy());
  EXPECT_FALSE(table.record_failure(kAttacker, "", kStart));
  EXPECT_FALSE(table.record_failure(kAttacker, "", kStart + 1));
  EXPECT_FALSE(table.is_banned(kAttacker, kStart + 1));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.list(kStart + 1).empty());
}

TEST(BanTable, FailuresSpreadBeyondTheWindowDoNotBan) {
  BanTable table(small_policy());
  // Any three of these span 60 s or more: the window (60 s) never holds three.
  for (std::int64_t t : {0, 30, 60, 90, 120, 150}) {
    EXPECT_FALSE(table.record_failure(kAttacker, "", kStart + t)) << "at +" << t;
  }
  EXPECT_FALSE(table.is_banned(kAttacker, kStart + 150));
  // A third failure within 60 s of the first two bans.
  EXPECT_TRUE(table.record_failure(kAttacker, "", kStart + 179));
}

TEST(BanTable, PerUserCountingBansEachNextFailingSource) {
  BanTable table(small_policy());
  // A guesser spread over many addresses, one failure each, all for alice.
  EXPECT_FALSE(table.record_failure(nth_address(1), "alice", kStart));
  EXPECT_FALSE(table.record_failure(nth_address(2), "alice", kStart + 1));
  EXPECT_FALSE(table.record_failure(nth_address(3), "bob", kStart + 2));  // another user
  const auto third = table.record_failure(nth_address(4), "alice", kStart + 3);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->address, nth_address(4));
  EXPECT_EQ(third->reason, "failed authentications for user 'alice' from several addresses");
  const auto fourth = table.record_failure(nth_address(5), "alice", kStart + 4);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->address, nth_address(5));
  // The earlier ones stay unbanned (their failures were under every threshold when they happened),
  // and bob's count is his own.
  EXPECT_FALSE(table.is_banned(nth_address(1), kStart + 4));
  EXPECT_FALSE(table.is_banned(nth_address(2), kStart + 4));
  EXPECT_FALSE(table.record_failure(nth_address(6), "bob", kStart + 5));
  // Once alice's failures have left the window, a single failure bans nobody.
  EXPECT_FALSE(table.record_failure(nth_address(7), "alice", kStart + 100));
}

TEST(BanTable, UserNamesAreComparedAsGiven) {
  BanTable table(small_policy());
  EXPECT_FALSE(table.record_failure(nth_address(1), "alice", kStart));
  EXPECT_FALSE(table.record_failure(nth_address(2), "Alice", kStart));
  EXPECT_FALSE(table.record_failure(nth_address(3), "alice@example.com", kStart));
  EXPECT_TRUE(table.record_failure(nth_address(4), "alice", kStart + 1) == std::nullopt);
  EXPECT_TRUE(table.record_failure(nth_address(5), "alice", kStart + 2));  // the third "alice"
}

TEST(BanTable, OverlongUserNamesAreCountedByTheirFirst256Bytes) {
  BanTable table(small_policy());
  const std::string prefix(256, 'x');
  EXPECT_FALSE(table.record_failure(nth_address(1), prefix + "1", kStart));
  EXPECT_FALSE(table.record_failure(nth_address(2), prefix + "2", kStart));
  const auto ban = table.record_failure(nth_address(3), prefix + "3", kStart);
  ASSERT_TRUE(ban);
  // What reaches an administrator's screen is short and printable.
  EXPECT_LT(ban->reason.size(), 128u);
}

TEST(BanTable, RepeatOffenceDoublesTheBanUpToTheCap) {
  BanTable table(small_policy());  // 100 s, doubling, capped at 350 s
  std::int64_t now = kStart;
  const std::int64_t expected_lengths[] = {100, 200, 350, 350};
  for (unsigned offence = 1; offence <= 4; ++offence) {
    const auto ban = fail_until_banned(table, kAttacker, now);
    ASSERT_TRUE(ban) << "offence " << offence;
    EXPECT_EQ(ban->offences, offence);
    EXPECT_EQ(ban->until - ban->since, expected_lengths[offence - 1]) << "offence " << offence;
    now = ban->until;
    // The ban ends; the next offence comes half the memory later. The first two rounds run
    // expire() at the ban's end, the others do not: both must remember the offender.
    if (offence <= 2) table.expire(now);
    now += 500;
  }
}

TEST(BanTable, OffenceAfterTheMemoryStartsOverAtTheFirstLength) {
  BanTable table(small_policy());
  const auto first = fail_until_banned(table, kAttacker, kStart);
  ASSERT_TRUE(first);
  table.expire(first->until);
  table.expire(first->until + 1000);  // offence_memory_seconds after the ban ended: forgotten
  const auto second = fail_until_banned(table, kAttacker, first->until + 1000);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->offences, 1u);
  EXPECT_EQ(second->until - second->since, 100);
}

TEST(BanTable, FailuresWhileBannedNeitherCountNorExtend) {
  BanTable table(small_policy());
  const auto ban = fail_until_banned(table, kAttacker, kStart);
  ASSERT_TRUE(ban);
  EXPECT_FALSE(fail_until_banned(table, kAttacker, kStart + 10));
  EXPECT_EQ(table.list(kStart + 10).at(0).until, ban->until);
  // After the ban, the count starts from zero.
  EXPECT_FALSE(table.record_failure(kAttacker, "", ban->until));
  EXPECT_FALSE(table.is_banned(kAttacker, ban->until));
}

TEST(BanTable, ExpireDropsEndedBansAndStaleWindows) {
  BanTable table(small_policy());
  ASSERT_TRUE(fail_until_banned(table, kAttacker, kStart));
  EXPECT_FALSE(table.record_failure(kOther, "dave", kStart));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.tracked_failure_keys(), 2u);  // kOther and "dave"
  table.expire(kStart + 59);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.tracked_failure_keys(), 2u);
  table.expire(kStart + 100);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.tracked_failure_keys(), 0u);
  EXPECT_FALSE(table.is_banned(kAttacker, kStart + 100));
  EXPECT_TRUE(table.list(kStart + 100).empty());
}

TEST(BanTable, NeverBanAddressesAreCountedNowhereAndNeverBanned) {
  BanPolicy policy = small_policy();
  policy.never_ban = networks({"192.0.2.0/24", "2001:db8::/32"});
  BanTable table(std::move(policy));
  const ip::address office = ip::make_address("192.0.2.10");
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(table.record_failure(office, "erin", kStart));
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(table.record_offence(office, "scanner User-Agent", SourceProof::handshake, kStart));
  EXPECT_FALSE(table.record_failure(ip::make_address("::ffff:192.0.2.11"), "erin", kStart));
  EXPECT_FALSE(table.is_banned(office, kStart));
  EXPECT_EQ(table.tracked_failure_keys(), 0u);
  // erin's count did not grow from the office: one failure from outside bans nobody.
  EXPECT_FALSE(table.record_failure(kAttacker, "erin", kStart));
  // Over a user's threshold, the allow-listed source is still not banned.
  EXPECT_FALSE(table.record_failure(kOther, "erin", kStart));
  EXPECT_TRUE(table.record_failure(nth_address(1), "erin", kStart));
  EXPECT_FALSE(table.record_failure(office, "erin", kStart));
  EXPECT_FALSE(table.is_banned(office, kStart));
  // Nor by hand.
  EXPECT_FALSE(table.ban(Ban{office, kStart, kStart + 100, 1, "admin"}));
  EXPECT_FALSE(table.ban(Ban{ip::make_address("2001:db8::5"), kStart, kStart + 100, 1, "admin"}));
  EXPECT_FALSE(table.is_banned(office, kStart));
}

TEST(BanTable, AScannerOffenceOverAHandshakeBansAtOnce) {
  BanTable table(small_policy());
  EXPECT_FALSE(table.is_banned(kAttacker, kStart));
  const auto ban = table.record_offence(kAttacker, "scanner User-Agent", SourceProof::handshake, kStart);
  ASSERT_TRUE(ban);
  EXPECT_EQ(ban->reason, "scanner User-Agent");
  EXPECT_TRUE(table.is_banned(kAttacker, kStart));
  EXPECT_FALSE(table.is_banned(kOther, kStart));
}

TEST(BanTable, AScannerAfterFailuresIsARepeatOffenderLater) {
  BanTable table(small_policy());
  const auto first = table.record_offence(kAttacker, "scanner User-Agent", SourceProof::handshake, kStart);
  ASSERT_TRUE(first);
  const auto second =
      table.record_offence(kAttacker, "scanner User-Agent", SourceProof::handshake, first->until);
  ASSERT_TRUE(second);
  EXPECT_GT(second->until - second->since, first->until - first->since);
}

TEST(BanTable, MappedIpv6IsTheSameSourceAsIpv4) {
  BanTable table(small_policy());
  const ip::address mapped = ip::make_address("::ffff:203.0.113.1");
  EXPECT_FALSE(table.record_failure(kAttacker, "", kStart));
  EXPECT_FALSE(table.record_failure(mapped, "", kStart));
  const auto ban = table.record_failure(kAttacker, "", kStart);
  ASSERT_TRUE(ban);
  EXPECT_TRUE(ban->address.is_v4());
  EXPECT_TRUE(table.is_banned(mapped, kStart));
  EXPECT_TRUE(table.unban(mapped));
  EXPECT_FALSE(table.is_banned(kAttacker, kStart));
}

TEST(BanTable, AdminBanUnbanAndSortedList) {
  BanTable table(small_policy());
  const ip::address v6 = ip::make_address("2001:db8::1");
  EXPECT_TRUE(table.ban(Ban{v6, kStart, kStart + 3600, 1, "manual"}));
  EXPECT_TRUE(table.ban(Ban{kOther, kStart, kStart + 3600, 1, "manual"}));
  EXPECT_TRUE(table.ban(Ban{ip::make_address("::ffff:203.0.113.1"), kStart, kStart + 3600, 2, "persisted"}));
  EXPECT_TRUE(table.ban(Ban{nth_address(9), kStart - 7200, kStart - 3600, 1, "over"}));  // already ended

  const std::vector<Ban> listed = table.list(kStart);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].address, kAttacker);  // stored in its IPv4 form
  EXPECT_EQ(listed[0].offences, 2u);
  EXPECT_EQ(listed[0].reason, "persisted");
  EXPECT_EQ(listed[1].address, kOther);
  EXPECT_EQ(listed[2].address, v6);
  EXPECT_TRUE(table.is_banned(v6, kStart));

  // Replace: a shorter ban for the same address.
  EXPECT_TRUE(table.ban(Ban{v6, kStart, kStart + 10, 1, "shortened"}));
  EXPECT_FALSE(table.is_banned(v6, kStart + 10));
  EXPECT_EQ(table.list(kStart).size(), 3u);

  EXPECT_TRUE(table.unban(kOther));
  EXPECT_FALSE(table.unban(kOther));
  EXPECT_FALSE(table.is_banned(kOther, kStart));
  EXPECT_EQ(table.list(kStart).size(), 2u);
}

TEST(BanTable, UnbanIsAPardon) {
  BanTable table(small_policy());
  const auto first = fail_until_banned(table, kAttacker, kStart);
  ASSERT_TRUE(first);
  EXPECT_TRUE(table.unban(kAttacker));
  const auto second = fail_until_banned(table, kAttacker, kStart + 1);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->offences, 1u);  // the history went with the ban
}

TEST(BanTable, ThresholdZeroNeverBansAutomatically) {
  BanPolicy policy = small_policy();
  policy.threshold = 0;
  BanTable table(std::move(policy));
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(table.record_failure(kAttacker, "alice", kStart));
  EXPECT_FALSE(table.record_offence(kAttacker, "scanner", SourceProof::handshake, kStart));
  EXPECT_FALSE(table.is_banned(kAttacker, kStart));
  EXPECT_TRUE(table.ban(Ban{kAttacker, kStart, kStart + 10, 1, "manual"}));
  EXPECT_TRUE(table.is_banned(kAttacker, kStart));
}

TEST(BanTable, SpoofedSourceFloodUsesBoundedMemory) {
  BanPolicy policy = small_policy();
  policy.max_tracked = 160;
  BanTable table(std::move(policy));
  for (std::uint32_t i = 0; i < 20000; ++i) {
    table.record_failure(nth_address(i), "user" + std::to_string(i), kStart);
  }
  // At most max_tracked addresses and max_tracked user names.
  EXPECT_LE(table.tracked_failure_keys(), 2u * 160u);
  EXPECT_GT(table.tracked_failure_keys(), 0u);
}

// The attack that un-banned a brute-forcer: ban it, then flood single datagrams (failures,
// scanner requests) from more spoofed sources than the table tracks. Its ban must stay.
TEST(BanTable, AFloodOfNewSourcesCannotLiftABan) {
  BanPolicy policy = small_policy();
  policy.max_tracked = 160;
  BanTable table(std::move(policy));
  ASSERT_TRUE(fail_until_banned(table, kAttacker, kStart));
  ASSERT_TRUE(table.ban(Ban{kOther, kStart, kStart + 100, 1, "admin"}));
  for (std::uint32_t i = 0; i < 20000; ++i) {
    table.record_failure(nth_address(i), "", kStart + 1);
    table.record_offence(nth_address(i), "scanner User-Agent", SourceProof::unverified, kStart + 1);
  }
  // Sources banned over and over (each reaching the threshold), on top: still not lifted.
  for (std::uint32_t i = 0; i < 20000; ++i)
    fail_until_banned(table, ip::address_v4(0xc6000000u + i * 256), kStart + 2);
  for (std::uint32_t i = 0; i < 20000; ++i)
    table.record_failure(nth_address(100000 + i), "alice", kStart + 2);
  table.expire(kStart + 3);
  EXPECT_TRUE(table.is_banned(kAttacker, kStart + 3));
  EXPECT_TRUE(table.is_banned(kOther, kStart + 3));
}

TEST(BanTable, AFullTableTracksNoNewSourceButStillBansProvenOnes) {
  BanPolicy policy = small_policy();
  policy.max_tracked = 16;  // one ban per shard
  policy.prefix_threshold = 0;
  BanTable table(std::move(policy));
  // Distinct /24s, so that nothing aggregates: fill every shard with bans.
  std::uint32_t next = 0;
  auto source = [&] { return ip::address_v4(0x0b000000u + (next++ << 8)); };
  for (int i = 0; i < 2000; ++i) fail_until_banned(table, source(), kStart);
  const std::size_t full = table.size();
  EXPECT_GE(full, 16u);
  // A new source is no longer tracked: its failures ban nobody and keep no window.
  const std::size_t windows = table.tracked_failure_keys();
  for (int i = 0; i < 500; ++i) EXPECT_FALSE(fail_until_banned(table, source(), kStart));
  EXPECT_EQ(table.tracked_failure_keys(), windows);
  EXPECT_EQ(table.size(), full);
  // A source that completed a handshake is banned all the same.
  const ip::address proven = source();
  EXPECT_TRUE(table.record_offence(proven, "scanner User-Agent", SourceProof::handshake, kStart));
  EXPECT_TRUE(table.is_banned(proven, kStart));
  // When the bans end, new sources are tracked again.
  table.expire(kStart + 1000);
  EXPECT_TRUE(fail_until_banned(table, source(), kStart + 1000));
}

TEST(BanTable, BansWaitingToBeSavedAreBounded) {
  BanPolicy policy = small_policy();
  policy.max_tracked = 100;
  policy.prefix_threshold = 0;
  BanTable table(std::move(policy));
  for (std::uint32_t i = 0; i < 1000; ++i) {
    table.record_offence(nth_address(i), "scanner User-Agent", SourceProof::handshake, kStart);
  }
  const auto waiting = table.take_new_bans(100000);
  ASSERT_EQ(waiting.size(), 100u);
  EXPECT_EQ(waiting.back().address, nth_address(999));   // the newest kept
  EXPECT_TRUE(table.is_banned(nth_address(0), kStart));  // the dropped ones still in force
}

TEST(BanTable, AScannerDatagramCountsButDoesNotBanAtOnce) {
  BanTable table(small_policy());
  // One forged datagram must not ban the address it names: only threshold of them in the window.
  EXPECT_FALSE(table.record_offence(kAttacker, "scanner User-Agent", SourceProof::unverified, kStart));
  EXPECT_FALSE(table.is_banned(kAttacker, kStart));
  EXPECT_FALSE(table.record_offence(kAttacker, "scanner User-Agent", SourceProof::unverified, kStart + 1));
  const auto ban = table.record_offence(kAttacker, "scanner User-Agent", SourceProof::unverified, kStart + 2);
  ASSERT_TRUE(ban);
  EXPECT_EQ(ban->reason, "scanner User-Agent: 3 datagrams within 60 s");
  EXPECT_TRUE(table.is_banned(kAttacker, kStart + 2));
  // Spread beyond the window, they never ban.
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(
        table.record_offence(kOther, "scanner User-Agent", SourceProof::unverified, kStart + i * 60));
  }
}

TEST(BanTable, TrustedPeersAreNeverBanned) {
  BanPolicy policy = small_policy();
  policy.trusted_peers = networks({"198.51.100.0/24"});
  BanTable table(std::move(policy));
  const ip::address peer = ip::make_address("198.51.100.7");
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(table.record_failure(peer, "alice", kStart));
    EXPECT_FALSE(table.record_offence(peer, "scanner User-Agent", SourceProof::handshake, kStart));
    EXPECT_FALSE(table.record_offence(peer, "scanner User-Agent", SourceProof::unverified, kStart));
  }
  EXPECT_FALSE(table.ban(Ban{peer, kStart, kStart + 100, 1, "admin"}));
  EXPECT_FALSE(table.is_banned(peer, kStart));
}

TEST(BanTable, ManyBannedAddressesOfAPrefixBanThePrefix) {
  BanPolicy policy = small_policy();
  policy.prefix_threshold = 4;
  BanTable table(std::move(policy));
  const auto in_prefix = [](int host) { return ip::make_address("192.0.2." + std::to_string(host)); };
  for (int host = 1; host <= 3; ++host) ASSERT_TRUE(fail_until_banned(table, in_prefix(host), kStart));
  EXPECT_FALSE(table.is_banned(in_prefix(200), kStart));
  EXPECT_EQ(table.prefix_bans(), 0u);
  ASSERT_TRUE(fail_until_banned(table, in_prefix(4), kStart));
  // The whole /24, and nothing outside it.
  EXPECT_EQ(table.prefix_bans(), 1u);
  EXPECT_TRUE(table.is_banned(in_prefix(200), kStart));
  EXPECT_TRUE(table.is_banned(ip::make_address("::ffff:192.0.2.201"), kStart));
  EXPECT_FALSE(table.is_banned(ip::make_address("192.0.3.1"), kStart));
  // Listed, and handed over to be saved, as 192.0.2.0/24.
  const auto listed = table.list(kStart);
  const auto prefix = std::find_if(listed.begin(), listed.end(), [](const Ban& ban) { return ban.prefix; });
  ASSERT_NE(prefix, listed.end());
  EXPECT_EQ(ban_key_text(*prefix), "192.0.2.0/24");
  const auto fresh = table.take_new_bans(100);
  EXPECT_EQ(fresh.size(), 5u);
  EXPECT_EQ(std::count_if(fresh.begin(), fresh.end(), [](const Ban& ban) { return ban.prefix; }), 1);
  EXPECT_TRUE(table.take_new_bans(100).empty());
  // It ends like any ban, and can be lifted.
  EXPECT_FALSE(table.is_banned(in_prefix(200), prefix->until));
  EXPECT_TRUE(table.unban_prefix(ip::make_address("192.0.2.0")));
  EXPECT_FALSE(table.is_banned(in_prefix(200), kStart));
}

// Anyone can forge the source of a datagram: scanner datagrams from every address of a /24 ban
// those addresses once each reaches the threshold, but never the network around them. Sources
// that proved they receive (a handshake) do.
TEST(BanTable, ForgedScannerDatagramsNeverBanAPrefix) {
  BanPolicy policy = small_policy();
  policy.prefix_threshold = 4;
  BanTable table(std::move(policy));
  const auto in_prefix = [](int host) { return ip::make_address("192.0.2." + std::to_string(host)); };
  for (int host = 1; host <= 8; ++host) {
    for (unsigned i = 0; i < small_policy().threshold; ++i)
      table.record_offence(in_prefix(host), "scanner User-Agent", SourceProof::unverified, kStart);
    ASSERT_TRUE(table.is_banned(in_prefix(host), kStart)) << host;
  }
  EXPECT_EQ(table.prefix_bans(), 0u);
  EXPECT_FALSE(table.is_banned(in_prefix(200), kStart));
  ASSERT_TRUE(table.record_offence(in_prefix(9), "scanner User-Agent", SourceProof::handshake, kStart));
  EXPECT_EQ(table.prefix_bans(), 1u);
  EXPECT_TRUE(table.is_banned(in_prefix(200), kStart));
}

TEST(BanTable, IPv6AggregatesPerSlash64) {
  BanPolicy policy = small_policy();
  policy.prefix_threshold = 2;
  BanTable table(std::move(policy));
  ASSERT_TRUE(fail_until_banned(table, ip::make_address("2001:db8:1:2::1"), kStart));
  ASSERT_TRUE(fail_until_banned(table, ip::make_address("2001:db8:1:2:ffff::9"), kStart));
  EXPECT_TRUE(table.is_banned(ip::make_address("2001:db8:1:2:abcd::1"), kStart));
  EXPECT_FALSE(table.is_banned(ip::make_address("2001:db8:1:3::1"), kStart));
  const auto listed = table.list(kStart);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(ban_key_text(listed[0]), "2001:db8:1:2::/64");  // sorted before the addresses in it
}

TEST(BanTable, APrefixBanNeverCoversNeverBanOrTrustedAddresses) {
  BanPolicy policy = small_policy();
  policy.prefix_threshold = 2;
  policy.never_ban = networks({"192.0.2.10"});
  policy.trusted_peers = networks({"192.0.2.20"});
  BanTable table(std::move(policy));
  ASSERT_TRUE(fail_until_banned(table, ip::make_address("192.0.2.1"), kStart));
  ASSERT_TRUE(fail_until_banned(table, ip::make_address("192.0.2.2"), kStart));
  ASSERT_TRUE(table.is_banned(ip::make_address("192.0.2.3"), kStart));
  EXPECT_FALSE(table.is_banned(ip::make_address("192.0.2.10"), kStart));
  EXPECT_FALSE(table.is_banned(ip::make_address("192.0.2.20"), kStart));
  // Nor one an administrator added or the store loaded.
  ASSERT_TRUE(table.ban(Ban{ip::make_address("192.0.2.0"), kStart, kStart + 100, 1, "admin", true}));
  EXPECT_FALSE(table.is_banned(ip::make_address("192.0.2.10"), kStart));
}

TEST(BanTable, PrefixCountsFollowTheBansThatEnd) {
  BanPolicy policy = small_policy();
  policy.prefix_threshold = 3;
  BanTable table(std::move(policy));
  ASSERT_TRUE(fail_until_banned(table, ip::make_address("192.0.2.1"), kStart));
  ASSERT_TRUE(fail_until_banned(table, ip::make_address("192.0.2.2"), kStart));
  table.expire(kStart + 100);  // both ended
  ASSERT_TRUE(fail_until_banned(table, ip::make_address("192.0.2.3"), kStart + 100));
  EXPECT_FALSE(table.is_banned(ip::make_address("192.0.2.200"), kStart + 100));
  // Loaded bans count, but do not ban the prefix themselves (their start may be long past).
  ASSERT_TRUE(table.ban(Ban{ip::make_address("192.0.2.4"), kStart, kStart + 1000, 1, "loaded"}));
  EXPECT_FALSE(table.is_banned(ip::make_address("192.0.2.200"), kStart + 100));
  ASSERT_TRUE(fail_until_banned(table, ip::make_address("192.0.2.5"), kStart + 100));
  EXPECT_TRUE(table.is_banned(ip::make_address("192.0.2.200"), kStart + 100));
}

TEST(BanTable, WorkersShareOneTable) {
  BanTable table(small_policy());
  constexpr std::uint32_t kThreads = 4;
  constexpr std::uint32_t kSourcesPerThread = 100;
  std::vector<std::thread> workers;
  for (std::uint32_t t = 0; t < kThreads; ++t) {
    workers.emplace_back([&table, t] {
      for (std::uint32_t s = 0; s < kSourcesPerThread; ++s) {
        const ip::address source = nth_address(t * kSourcesPerThread + s);
        for (int i = 0; i < 3; ++i) {
          table.is_banned(source, kStart);
          table.record_failure(source, "", kStart);
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  // 10.0.0.0 to 10.0.1.143: two /24s, each over the prefix threshold.
  EXPECT_EQ(table.prefix_bans(), 2u);
  EXPECT_EQ(table.size(), kThreads * kSourcesPerThread + 2);
  for (std::uint32_t n = 0; n < kThreads * kSourcesPerThread; ++n) {
    EXPECT_TRUE(table.is_banned(nth_address(n), kStart)) << n;
  }
}

}  // namespace
}  // namespace osprey::security
