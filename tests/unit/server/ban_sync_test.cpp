#include "server/ban_sync.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

namespace osprey::server {
namespace {

namespace ip = boost::asio::ip;
constexpr std::int64_t kNow = 1'700'000'000;

// A BanStore that records what it is asked to do: the tests assert on the shape of the work
// (transactions, records per transaction, full reads), not on time.
class RecordingStore final : public store::BanStore {
 public:
  tl::expected<std::vector<store::BanRecord>, std::string> list(std::int64_t) override {
    ++full_reads;
    return on_file;
  }
  tl::expected<void, std::string> put(const store::BanRecord& ban) override {
    ++single_puts;
    on_file.push_back(ban);
    return {};
  }
  tl::expected<void, std::string> put_all(std::span<const store::BanRecord> bans) override {
    batches.push_back(bans.size());
    on_file.insert(on_file.end(), bans.begin(), bans.end());
    return {};
  }
  tl::expected<bool, std::string> remove(std::string_view) override { return false; }
  tl::expected<std::size_t, std::string> remove_expired(std::int64_t, std::size_t most) override {
    expired_limits.push_back(most);
    return 0;
  }
  tl::expected<std::vector<store::BanChange>, std::string> take_changes(std::size_t most) override {
    change_limits.push_back(most);
    std::vector<store::BanChange> taken;
    while (!pending_changes.empty() && taken.size() < most) {
      taken.push_back(pending_changes.front());
      pending_changes.erase(pending_changes.begin());
    }
    return taken;
  }

  std::vector<store::BanRecord> on_file;
  std::vector<store::BanChange> pending_changes;
  int full_reads = 0;
  int single_puts = 0;
  std::vector<std::size_t> batches;
  std::vector<std::size_t> change_limits;
  std::vector<std::size_t> expired_limits;
};

security::BanPolicy one_strike_policy() {
  security::BanPolicy policy;
  policy.threshold = 1;
  policy.prefix_threshold = 0;  // every ban is an address ban: the most records to write
  policy.max_tracked = 1'000'000;
  return policy;
}

spdlog::logger quiet_logger() {
  return spdlog::logger("ban_sync_test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

ip::address nth_address(std::uint32_t n) { return ip::address_v4(0x0a000000u + n); }

// The flood that froze the server: 120,000 bans in one second. Each round writes a bounded batch
// in one transaction and reads nothing back; all are on file after enough rounds.
TEST(BanSync, ABanFloodIsWrittenInBoundedBatchesWithoutReloads) {
  security::BanTable table(one_strike_policy());
  RecordingStore store;
  auto logger = quiet_logger();
  BanSync sync(table, store, logger);
  sync.load(kNow);
  const int reads_at_start = store.full_reads;
  constexpr std::uint32_t kBans = 120'000;
  for (std::uint32_t i = 0; i < kBans; ++i) ASSERT_TRUE(table.record_failure(nth_address(i), "", kNow));

  sync.run(kNow);
  ASSERT_EQ(store.batches.size(), 1u);  // one transaction for the round
  EXPECT_EQ(store.batches[0], BanSync::kMaxWritesPerRound);
  int rounds = 1;
  while (store.on_file.size() < kBans && rounds < 100) {
    sync.run(kNow);
    ++rounds;
  }
  EXPECT_EQ(store.on_file.size(), kBans);
  EXPECT_EQ(rounds,
            static_cast<int>((kBans + BanSync::kMaxWritesPerRound - 1) / BanSync::kMaxWritesPerRound));
  EXPECT_EQ(store.batches.size(), static_cast<std::size_t>(rounds));
  for (std::size_t batch : store.batches) EXPECT_LE(batch, BanSync::kMaxWritesPerRound);
  EXPECT_EQ(store.single_puts, 0);
  EXPECT_EQ(store.full_reads, reads_at_start);  // never the whole list again
  for (std::size_t most : store.change_limits) EXPECT_EQ(most, BanSync::kMaxChangesPerRound);
  for (std::size_t most : store.expired_limits) EXPECT_EQ(most, BanSync::kMaxExpiredPerRound);
  // Nothing new: nothing written.
  sync.run(kNow);
  EXPECT_EQ(store.batches.size(), static_cast<std::size_t>(rounds));
}

TEST(BanSync, ChangesOfOtherProcessesReachTheTable) {
  security::BanTable table(one_strike_policy());
  RecordingStore store;
  auto logger = quiet_logger();
  BanSync sync(table, store, logger);
  store.on_file.push_back({"192.0.2.1", kNow, kNow + 600, 1, "loaded"});
  sync.load(kNow);
  EXPECT_TRUE(table.is_banned(ip::make_address("192.0.2.1"), kNow));

  store.pending_changes.push_back({{"192.0.2.7", kNow, kNow + 600, 1, "admin"}, false});
  store.pending_changes.push_back({{"198.51.100.0/24", kNow, kNow + 600, 1, "admin"}, false});
  store.pending_changes.push_back({{"192.0.2.1", 0, 0, 0, ""}, true});
  store.pending_changes.push_back({{"203.0.113.0/23", kNow, kNow + 600, 1, "not a length we ban"}, false});
  sync.run(kNow);
  EXPECT_TRUE(table.is_banned(ip::make_address("192.0.2.7"), kNow));
  EXPECT_TRUE(table.is_banned(ip::make_address("198.51.100.99"), kNow));
  EXPECT_FALSE(table.is_banned(ip::make_address("192.0.2.1"), kNow));
  EXPECT_FALSE(table.is_banned(ip::make_address("203.0.113.1"), kNow));
  // Bans that came from the store are not written back.
  EXPECT_TRUE(store.batches.empty());

  store.pending_changes.push_back({{"198.51.100.0/24", 0, 0, 0, ""}, true});
  sync.run(kNow);
  EXPECT_FALSE(table.is_banned(ip::make_address("198.51.100.99"), kNow));
}

}  // namespace
}  // namespace osprey::server
