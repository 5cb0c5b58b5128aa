#include "server/ban_sync.hpp"

#include <unordered_set>

#include <spdlog/spdlog.h>
#include <boost/asio/ip/address.hpp>

namespace osprey::server {

namespace {
std::optional<boost::asio::ip::address> address_of(const std::string& text) {
  boost::system::error_code error;
  auto address = boost::asio::ip::make_address(text, error);
  if (error) return std::nullopt;
  return address;
}

security::Ban to_ban(const store::BanRecord& record, const boost::asio::ip::address& address) {
  return security::Ban{address, record.since, record.until, record.offences, record.reason};
}

store::BanRecord to_record(const security::Ban& ban) {
  return store::BanRecord{ban.address.to_string(), ban.since, ban.until, ban.offences, ban.reason};
}
}  // namespace

BanSync::BanSync(security::BanTable& table, store::BanStore& store, spdlog::logger& logger)
    : table_(table), store_(store), logger_(logger) {}

void BanSync::load(std::int64_t now) {
  for (const store::BanRecord& record : store_.list(now)) {
    auto address = address_of(record.address);
    if (!address) continue;
    table_.ban(to_ban(record, *address));
    synced_[record.address] = record.until;
  }
  if (!synced_.empty()) logger_.info("{} ban(s) loaded", synced_.size());
}

void BanSync::run(std::int64_t now) {
  auto changed = store_.reload_if_changed();
  if (!changed) logger_.error("bans not reloaded: {}", changed.error());
  const bool store_changed = changed && *changed;

  // What an admin did in another process: added or extended bans reach the table, deleted
  // ones (synced before, absent now) are lifted.
  if (store_changed) {
    std::unordered_set<std::string> in_store;
    for (const store::BanRecord& record : store_.list(now)) {
      in_store.insert(record.address);
      const auto synced = synced_.find(record.address);
      if (synced != synced_.end() && synced->second == record.until) continue;
      if (auto address = address_of(record.address)) {
        table_.ban(to_ban(record, *address));
        synced_[record.address] = record.until;
        logger_.info("ban of {} until {} ({}) taken from the ban list", record.address, record.until,
                     record.reason);
      }
    }
    for (auto it = synced_.begin(); it != synced_.end();) {
      if (in_store.contains(it->first)) {
        ++it;
        continue;
      }
      if (auto address = address_of(it->first); address && table_.unban(*address)) {
        logger_.info("ban of {} lifted (removed from the ban list)", it->first);
      }
      it = synced_.erase(it);
    }
  }

  // What the workers did: bans made since the last round are written.
  for (const security::Ban& ban : table_.list(now)) {
    const std::string address = ban.address.to_string();
    const auto synced = synced_.find(address);
    if (synced != synced_.end() && synced->second == ban.until) continue;
    if (auto stored = store_.put(to_record(ban)); !stored) {
      logger_.error("ban of {} not saved: {}", address, stored.error());
      continue;
    }
    synced_[address] = ban.until;
  }

  // Expired bans leave both.
  for (auto it = synced_.begin(); it != synced_.end();) {
    it = it->second <= now ? synced_.erase(it) : std::next(it);
  }
  table_.expire(now);
  if (auto removed = store_.remove_expired(now); !removed)
    logger_.error("expired bans not removed: {}", removed.error());
  // Our own writes need no reload: a change we made ourselves is already synced (and applying
  // it again would be a no-op, the until being equal).
}

}  // namespace osprey::server
