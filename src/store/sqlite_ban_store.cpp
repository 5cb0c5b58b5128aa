#include "store/sqlite_ban_store.hpp"

#include <sqlite3.h>

#include <utility>

namespace osprey::store {
namespace {

constexpr int kSchemaVersion = 1;
// The columns are BanRecord's fields, so the file reads like the struct in the sqlite3 shell.
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS bans ("
    " address TEXT PRIMARY KEY NOT NULL, since INTEGER NOT NULL, until INTEGER NOT NULL,"
    " offences INTEGER NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID";

}  // namespace

tl::expected<std::unique_ptr<SqliteBanStore>, std::string> SqliteBanStore::open(
    const std::filesystem::path& data_dir) {
  if (auto created = create_data_directory(data_dir); !created) return tl::unexpected(created.error());
  // synchronous=NORMAL, not the user store's FULL: a commit does not wait for an fsync, so the
  // server banning an attacker is not slowed by the disk while under attack. The cost is that
  // the last bans may roll back after a power loss (never after kill -9): the next attack from
  // the same address bans it again.
  auto database = SqliteConnection::open(data_dir / kFileName, SqliteSync::normal, kSchemaVersion, kSchema);
  if (!database) return tl::unexpected(database.error());
  std::unique_ptr<SqliteBanStore> store(new SqliteBanStore(std::move(*database)));
  if (auto prepared = store->prepare_statements(); !prepared) return tl::unexpected(prepared.error());
  std::lock_guard lock(store->database_mutex_);
  if (auto loaded = store->reload(); !loaded) return tl::unexpected(loaded.error());
  return store;
}

SqliteBanStore::SqliteBanStore(SqliteConnection database)
    : database_(std::move(database)), snapshot_(std::make_shared<const Snapshot>()) {}

tl::expected<void, std::string> SqliteBanStore::prepare_statements() {
  return database_.prepare_all({
      {&select_all_, "SELECT address, since, until, offences, reason FROM bans ORDER BY address"},
      {&upsert_,
       "INSERT OR REPLACE INTO bans (address, since, until, offences, reason) VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&delete_, "DELETE FROM bans WHERE address = ?1"},
      {&delete_expired_, "DELETE FROM bans WHERE until <= ?1"},
  });
}

tl::expected<void, std::string> SqliteBanStore::reload() {
  // data_version first: a commit landing between the two reads is then seen as a change next
  // time (one extra reload) rather than missed.
  const auto version = database_.data_version();
  if (!version) return tl::unexpected(version.error());
  sqlite3_stmt* row = select_all_.get();
  ResetOnExit reset(row);
  Snapshot bans;
  int stepped = SQLITE_ROW;
  while ((stepped = sqlite3_step(row)) == SQLITE_ROW) {
    BanRecord& ban = bans.emplace_back();
    ban.address = column_bytes(row, 0);
    ban.since = sqlite3_column_int64(row, 1);
    ban.until = sqlite3_column_int64(row, 2);
    ban.offences = static_cast<std::uint32_t>(sqlite3_column_int64(row, 3));
    ban.reason = column_bytes(row, 4);
  }
  if (stepped != SQLITE_DONE) return tl::unexpected(database_.error("read the bans"));
  snapshot_.store(std::make_shared<const Snapshot>(std::move(bans)));
  data_version_ = *version;
  return {};
}

tl::expected<bool, std::string> SqliteBanStore::reload_if_changed() {
  std::lock_guard lock(database_mutex_);
  const auto version = database_.data_version();
  if (!version) return tl::unexpected(version.error());
  if (*version == data_version_) return false;
  if (auto loaded = reload(); !loaded) return tl::unexpected(loaded.error());
  return true;
}

std::vector<BanRecord> SqliteBanStore::list(std::int64_t now) const {
  const auto snapshot = snapshot_.load();
  std::vector<BanRecord> live;
  for (const BanRecord& ban : *snapshot) {
    if (ban.until > now) live.push_back(ban);
  }
  return live;
}

tl::expected<void, std::string> SqliteBanStore::put(const BanRecord& ban) {
  if (ban.address.empty()) return tl::unexpected(std::string("a ban needs an address"));
  std::lock_guard lock(database_mutex_);
  sqlite3_stmt* upsert = upsert_.get();
  bind_text(upsert, 1, ban.address);
  sqlite3_bind_int64(upsert, 2, ban.since);
  sqlite3_bind_int64(upsert, 3, ban.until);
  sqlite3_bind_int64(upsert, 4, ban.offences);
  bind_text(upsert, 5, ban.reason);
  if (auto changed = change(upsert, ban.address); !changed) return tl::unexpected(changed.error());
  return {};
}

tl::expected<bool, std::string> SqliteBanStore::remove(std::string_view address) {
  std::lock_guard lock(database_mutex_);
  bind_text(delete_.get(), 1, address);
  const auto changed = change(delete_.get(), address);
  if (!changed) return tl::unexpected(changed.error());
  return *changed != 0;
}

tl::expected<std::size_t, std::string> SqliteBanStore::remove_expired(std::int64_t now) {
  std::lock_guard lock(database_mutex_);
  sqlite3_bind_int64(delete_expired_.get(), 1, now);
  return change(delete_expired_.get(), "remove expired bans");
}

tl::expected<std::size_t, std::string> SqliteBanStore::change(sqlite3_stmt* statement,
                                                              std::string_view doing) {
  // One statement is its own transaction (autocommit): nothing half-done to roll back.
  if (auto done = database_.step_done(statement, doing); !done) return tl::unexpected(done.error());
  const auto changed = static_cast<std::size_t>(database_.changes());
  if (changed == 0) return changed;
  if (auto loaded = reload(); !loaded) return tl::unexpected(loaded.error());
  return changed;
}

tl::expected<std::unique_ptr<BanStore>, std::string> open_ban_store(const std::filesystem::path& data_dir) {
  auto store = SqliteBanStore::open(data_dir);
  if (!store) return tl::unexpected(store.error());
  return std::unique_ptr<BanStore>(std::move(*store));
}

}  // namespace osprey::store
