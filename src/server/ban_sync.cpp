#include "server/ban_sync.hpp"

#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/address.hpp>

namespace osprey::server {

namespace {
// "192.0.2.7", or a prefix ban "192.0.2.0/24" (the only prefix lengths the table bans).
std::optional<security::Ban> ban_of(const store::BanRecord& record) {
  std::string_view text = record.address;
  bool prefix = false;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    const std::string_view length = text.substr(slash + 1);
    text = text.substr(0, slash);
    prefix = true;
    boost::system::error_code error;
    const auto network = boost::asio::ip::make_address(text, error);
    if (error) return std::nullopt;
    const unsigned bits = network.is_v4() ? security::kPrefixBanBitsV4 : security::kPrefixBanBitsV6;
    if (length != std::to_string(bits)) return std::nullopt;
  }
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address(text, error);
  if (error) return std::nullopt;
  return security::Ban{address, record.since, record.until, record.offences, record.reason, prefix};
}

store::BanRecord to_record(const security::Ban& ban) {
  return store::BanRecord{security::ban_key_text(ban), ban.since, ban.until, ban.offences, ban.reason};
}
}  // namespace

BanSync::BanSync(security::BanTable& table, store::BanStore& store, spdlog::logger& logger)
    : table_(table), store_(store), logger_(logger) {}

void BanSync::load(std::int64_t now) {
  auto live = store_.list(now);
  if (!live) {
    logger_.error("bans not loaded: {}", live.error());
    return;
  }
  std::size_t loaded = 0;
  for (const store::BanRecord& record : *live) {
    if (auto ban = ban_of(record); ban && table_.ban(std::move(*ban))) ++loaded;
  }
  if (loaded > 0) logger_.info("{} ban(s) loaded", loaded);
}

void BanSync::run(std::int64_t now) {
  // What an admin did in another process: added or extended bans reach the table, deleted ones
  // are lifted. Only the changes are read.
  if (auto changes = store_.take_changes(kMaxChangesPerRound); !changes) {
    logger_.error("ban changes not read: {}", changes.error());
  } else {
    for (const store::BanChange& change : *changes) {
      const auto ban = ban_of(change.record);
      if (!ban) continue;
      if (change.removed) {
        const bool lifted = ban->prefix ? table_.unban_prefix(ban->address) : table_.unban(ban->address);
        if (lifted) logger_.info("ban of {} lifted (removed from the ban list)", change.record.address);
      } else if (table_.ban(*ban)) {
        logger_.info("ban of {} until {} ({}) taken from the ban list", change.record.address,
                     change.record.until, change.record.reason);
      }
    }
  }

  // What the workers decided since the last round, oldest first, in one transaction.
  const std::vector<security::Ban> fresh = table_.take_new_bans(kMaxWritesPerRound);
  if (!fresh.empty()) {
    std::vector<store::BanRecord> records;
    records.reserve(fresh.size());
    for (const security::Ban& ban : fresh) records.push_back(to_record(ban));
    // Not retried: the bans stay in force in memory, only a restart would forget them.
    if (auto stored = store_.put_all(records); !stored)
      logger_.error("{} ban(s) not saved: {}", records.size(), stored.error());
  }

  table_.expire(now);
  if (auto removed = store_.remove_expired(now, kMaxExpiredPerRound); !removed)
    logger_.error("expired bans not removed: {}", removed.error());
}

}  // namespace osprey::server
