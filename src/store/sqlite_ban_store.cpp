#include "store/sqlite_ban_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

namespace osprey::store {
namespace {

// 2: the change counter (ban_version, ban_changes). A version-1 osprey would write bans without
// noting them as changes, which a server would never read: it refuses the file instead.
constexpr int kSchemaVersion = 2;
// The columns of bans are BanRecord's fields, so the file reads like the struct in the sqlite3
// shell. ban_changes holds, for each address changed, the number of its last change.
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS bans ("
    " address TEXT PRIMARY KEY NOT NULL, since INTEGER NOT NULL, until INTEGER NOT NULL,"
    " offences INTEGER NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS bans_by_until ON bans (until, address);"
    "CREATE TABLE IF NOT EXISTS ban_version (id INTEGER PRIMARY KEY CHECK (id = 0), last INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO ban_version (id, last) VALUES (0, 0);"
    "CREATE TABLE IF NOT EXISTS ban_changes ("
    " address TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS ban_changes_by_version ON ban_changes (version, address);";

BanRecord record_of(sqlite3_stmt* row, int first) {
  BanRecord ban;
  ban.address = column_bytes(row, first);
  ban.since = sqlite3_column_int64(row, first + 1);
  ban.until = sqlite3_column_int64(row, first + 2);
  ban.offences = static_cast<std::uint32_t>(sqlite3_column_int64(row, first + 3));
  ban.reason = column_bytes(row, first + 4);
  return ban;
}

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
  const std::lock_guard lock(store->database_mutex_);
  // data_version first: a commit landing between the two reads is then read as a change (again).
  const auto version = store->database_.data_version();
  if (!version) return tl::unexpected(version.error());
  const auto last = store->last_version();
  if (!last) return tl::unexpected(last.error());
  store->data_version_ = *version;
  store->read_version_ = *last;
  return store;
}

SqliteBanStore::SqliteBanStore(SqliteConnection database) : database_(std::move(database)) {}

tl::expected<void, std::string> SqliteBanStore::prepare_statements() {
  return database_.prepare_all({
      {&select_live_,
       "SELECT address, since, until, offences, reason FROM bans WHERE until > ?1 ORDER BY address"},
      {&upsert_,
       "INSERT OR REPLACE INTO bans (address, since, until, offences, reason) VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&delete_, "DELETE FROM bans WHERE address = ?1"},
      {&bump_version_, "UPDATE ban_version SET last = last + 1 WHERE id = 0"},
      {&select_version_, "SELECT last FROM ban_version WHERE id = 0"},
      {&note_change_, "INSERT OR REPLACE INTO ban_changes (address, version) VALUES (?1, ?2)"},
      // The changes past the cursor (?1, ?2) in order, each with its ban as it is now (none:
      // removed). ?2 NULL: every change numbered ?1 was read.
      {&select_changes_,
       "SELECT c.version, c.address, b.address IS NULL, b.address, b.since, b.until, b.offences, b.reason"
       " FROM ban_changes c LEFT JOIN bans b ON b.address = c.address"
       " WHERE c.version >= ?1 AND (c.version > ?1 OR c.address > ?2)"
       " ORDER BY c.version, c.address LIMIT ?3"},
      // Both pick the same rows (the first ?2 expired, in index order) within one transaction.
      // A change not read yet (numbered from ?3 on) stays, and reads as a removal.
      {&delete_expired_changes_,
       "DELETE FROM ban_changes WHERE version < ?3 AND address IN"
       " (SELECT address FROM bans WHERE until <= ?1 ORDER BY until, address LIMIT ?2)"},
      {&delete_expired_,
       "DELETE FROM bans WHERE address IN"
       " (SELECT address FROM bans WHERE until <= ?1 ORDER BY until, address LIMIT ?2)"},
  });
}

tl::expected<std::int64_t, std::string> SqliteBanStore::last_version() {
  sqlite3_stmt* select = select_version_.get();
  ResetOnExit reset(select);
  if (sqlite3_step(select) != SQLITE_ROW)
    return tl::unexpected(database_.error("read the ban change number"));
  return sqlite3_column_int64(select, 0);
}

tl::expected<std::int64_t, std::string> SqliteBanStore::next_version() {
  if (auto done = database_.step_done(bump_version_.get(), "number a ban change"); !done)
    return tl::unexpected(done.error());
  return last_version();
}

tl::expected<std::vector<BanRecord>, std::string> SqliteBanStore::list(std::int64_t now) {
  const std::lock_guard lock(database_mutex_);
  sqlite3_stmt* row = select_live_.get();
  ResetOnExit reset(row);
  sqlite3_bind_int64(row, 1, now);
  std::vector<BanRecord> live;
  int stepped = SQLITE_ROW;
  while ((stepped = sqlite3_step(row)) == SQLITE_ROW) live.push_back(record_of(row, 0));
  if (stepped != SQLITE_DONE) return tl::unexpected(database_.error("read the bans"));
  return live;
}

tl::expected<void, std::string> SqliteBanStore::put(const BanRecord& ban) { return put_all({&ban, 1}); }

tl::expected<void, std::string> SqliteBanStore::put_all(std::span<const BanRecord> bans) {
  if (bans.empty()) return {};
  const std::lock_guard lock(database_mutex_);
  std::int64_t version = 0;
  auto written = database_.transaction([&]() -> tl::expected<void, std::string> {
    auto next = next_version();
    if (!next) return tl::unexpected(next.error());
    version = *next;
    sqlite3_stmt* upsert = upsert_.get();
    sqlite3_stmt* note = note_change_.get();
    for (const BanRecord& ban : bans) {
      if (ban.address.empty()) return tl::unexpected(std::string("a ban needs an address"));
      bind_text(upsert, 1, ban.address);
      sqlite3_bind_int64(upsert, 2, ban.since);
      sqlite3_bind_int64(upsert, 3, ban.until);
      sqlite3_bind_int64(upsert, 4, ban.offences);
      bind_text(upsert, 5, ban.reason);
      if (auto done = database_.step_done(upsert, ban.address); !done) return done;
      bind_text(note, 1, ban.address);
      sqlite3_bind_int64(note, 2, version);
      if (auto done = database_.step_done(note, ban.address); !done) return done;
    }
    return {};
  });
  if (!written) return written;
  ++transactions_;
  own_versions_.push_back(version);
  return {};
}

tl::expected<bool, std::string> SqliteBanStore::remove(std::string_view address) {
  const std::lock_guard lock(database_mutex_);
  bool removed = false;
  std::int64_t version = 0;
  auto done = database_.transaction([&]() -> tl::expected<void, std::string> {
    bind_text(delete_.get(), 1, address);
    if (auto deleted = database_.step_done(delete_.get(), address); !deleted) return deleted;
    removed = database_.changes() != 0;
    if (!removed) return {};
    auto next = next_version();
    if (!next) return tl::unexpected(next.error());
    version = *next;
    bind_text(note_change_.get(), 1, address);
    sqlite3_bind_int64(note_change_.get(), 2, version);
    return database_.step_done(note_change_.get(), address);
  });
  if (!done) return tl::unexpected(done.error());
  ++transactions_;
  if (removed) own_versions_.push_back(version);
  return removed;
}

tl::expected<std::size_t, std::string> SqliteBanStore::remove_expired(std::int64_t now, std::size_t most) {
  const std::lock_guard lock(database_mutex_);
  std::size_t removed = 0;
  const auto limit = static_cast<std::int64_t>(std::min<std::size_t>(most, INT64_MAX));
  auto done = database_.transaction([&]() -> tl::expected<void, std::string> {
    sqlite3_stmt* changes = delete_expired_changes_.get();
    sqlite3_bind_int64(changes, 1, now);
    sqlite3_bind_int64(changes, 2, limit);
    sqlite3_bind_int64(changes, 3, read_version_);
    if (auto deleted = database_.step_done(changes, "remove expired ban changes"); !deleted) return deleted;
    sqlite3_stmt* bans = delete_expired_.get();
    sqlite3_bind_int64(bans, 1, now);
    sqlite3_bind_int64(bans, 2, limit);
    if (auto deleted = database_.step_done(bans, "remove expired bans"); !deleted) return deleted;
    removed = static_cast<std::size_t>(database_.changes());
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  ++transactions_;
  return removed;
}

tl::expected<std::vector<BanChange>, std::string> SqliteBanStore::take_changes(std::size_t most) {
  const std::lock_guard lock(database_mutex_);
  std::vector<BanChange> changes;
  const auto version = database_.data_version();
  if (!version) return tl::unexpected(version.error());
  if (*version == data_version_) {
    // Nobody else committed: whatever is numbered past the cursor is this connection's own.
    if (!own_versions_.empty()) {
      read_version_ = std::max(read_version_, *std::max_element(own_versions_.begin(), own_versions_.end()));
      read_address_.reset();
      own_versions_.clear();
    }
    return changes;
  }
  sqlite3_stmt* row = select_changes_.get();
  ResetOnExit reset(row);
  sqlite3_bind_int64(row, 1, read_version_);
  // Bound without a copy, so it must outlive the steps, which move read_address_ on.
  const std::optional<std::string> from_address = read_address_;
  if (from_address) {
    bind_text(row, 2, *from_address);
  } else {
    sqlite3_bind_null(row, 2);
  }
  sqlite3_bind_int64(row, 3, static_cast<std::int64_t>(std::min<std::size_t>(most, INT64_MAX)));
  std::size_t rows = 0;
  int stepped = SQLITE_ROW;
  while ((stepped = sqlite3_step(row)) == SQLITE_ROW) {
    ++rows;
    read_version_ = sqlite3_column_int64(row, 0);
    read_address_ = std::string(column_bytes(row, 1));
    if (std::find(own_versions_.begin(), own_versions_.end(), read_version_) != own_versions_.end()) continue;
    BanChange& change = changes.emplace_back();
    change.removed = sqlite3_column_int(row, 2) != 0;
    if (change.removed) {
      change.record.address = *read_address_;
    } else {
      change.record = record_of(row, 3);
    }
  }
  if (stepped != SQLITE_DONE) return tl::unexpected(database_.error("read the ban changes"));
  std::erase_if(own_versions_, [&](std::int64_t own) { return own < read_version_; });
  // Fewer than asked: caught up with every commit up to `version`.
  if (rows < most) data_version_ = *version;
  return changes;
}

tl::expected<std::unique_ptr<BanStore>, std::string> open_ban_store(const std::filesystem::path& data_dir) {
  auto store = SqliteBanStore::open(data_dir);
  if (!store) return tl::unexpected(store.error());
  return std::unique_ptr<BanStore>(std::move(*store));
}

}  // namespace osprey::store
