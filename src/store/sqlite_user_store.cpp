#include "store/sqlite_user_store.hpp"
#include "net/unix_clock.hpp"

#include <sqlite3.h>

#include <chrono>
#include <system_error>
#include <utility>
#include <vector>

namespace osprey::store {
namespace {

// HA1 only: the password itself is never written. RFC 7616 §5.2: the file is still as
// sensitive as a password file (HA1 lets one authenticate in its realm), but it reveals no
// password a user may have reused elsewhere.
constexpr int kSchemaVersion = 1;
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS accounts ("
    " aor TEXT PRIMARY KEY NOT NULL, user TEXT NOT NULL, realm TEXT NOT NULL,"
    " ha1_md5 TEXT NOT NULL, ha1_sha256 TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID";

// The account `aor` names, if `ha1` may be stored for it.
tl::expected<AccountName, std::string> parse_with_credentials(std::string_view aor, const Ha1Set& ha1) {
  auto name = parse_account_name(aor);
  if (!name) return name;
  if (auto checked = check_ha1_set(ha1); !checked) return tl::unexpected(name->aor + ": " + checked.error());
  return name;
}

}  // namespace

tl::expected<std::unique_ptr<SqliteUserStore>, std::string> SqliteUserStore::open(
    const std::filesystem::path& data_dir) {
  std::error_code failed;
  std::filesystem::create_directories(data_dir, failed);
  if (failed)
    return tl::unexpected(data_dir.string() + ": cannot create the data directory: " + failed.message());
  // synchronous=FULL: an operator's change is on disk when `osprey user` says it is done.
  auto database = SqliteConnection::open(data_dir / kFileName, SqliteSync::full, kSchemaVersion, kSchema);
  if (!database) return tl::unexpected(database.error());
  std::unique_ptr<SqliteUserStore> store(new SqliteUserStore(std::move(*database)));
  if (auto prepared = store->prepare_statements(); !prepared) return tl::unexpected(prepared.error());
  std::lock_guard lock(store->database_mutex_);
  if (auto loaded = store->reload(); !loaded) return tl::unexpected(loaded.error());
  return store;
}

SqliteUserStore::SqliteUserStore(SqliteConnection database)
    : database_(std::move(database)), snapshot_(std::make_shared<const AccountSnapshot>()) {}

tl::expected<void, std::string> SqliteUserStore::prepare_statements() {
  return database_.prepare_all({
      {&select_all_, "SELECT aor, user, realm, ha1_md5, ha1_sha256, created_at FROM accounts"},
      // ON CONFLICT DO NOTHING: an existing AOR changes no row, which add() reports, even when
      // another process added it a moment ago.
      {&insert_,
       "INSERT INTO accounts (aor, user, realm, ha1_md5, ha1_sha256, created_at)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING"},
      // add_many: an existing AOR takes the new credentials and keeps its created_at.
      {&upsert_,
       "INSERT INTO accounts (aor, user, realm, ha1_md5, ha1_sha256, created_at)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
       " ON CONFLICT (aor) DO UPDATE SET ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256"},
      {&update_, "UPDATE accounts SET ha1_md5 = ?2, ha1_sha256 = ?3 WHERE aor = ?1"},
      {&delete_, "DELETE FROM accounts WHERE aor = ?1"},
  });
}

tl::expected<void, std::string> SqliteUserStore::reload() {
  // data_version first: a commit landing between the two reads is then seen as a change next
  // time (one extra reload) rather than missed.
  const auto version = database_.data_version();
  if (!version) return tl::unexpected(version.error());
  sqlite3_stmt* row = select_all_.get();
  ResetOnExit reset(row);
  std::vector<Account> accounts;
  int stepped = SQLITE_ROW;
  while ((stepped = sqlite3_step(row)) == SQLITE_ROW) {
    Account& account = accounts.emplace_back();
    account.aor = column_bytes(row, 0);
    account.user = column_bytes(row, 1);
    account.realm = column_bytes(row, 2);
    account.ha1.md5 = column_bytes(row, 3);
    account.ha1.sha256 = column_bytes(row, 4);
    account.created_at = sqlite3_column_int64(row, 5);
  }
  if (stepped != SQLITE_DONE) return tl::unexpected(database_.error("read the accounts"));
  snapshot_.store(std::make_shared<const AccountSnapshot>(std::move(accounts)));
  data_version_ = *version;
  return {};
}

tl::expected<bool, std::string> SqliteUserStore::reload_if_changed() {
  std::lock_guard lock(database_mutex_);
  const auto version = database_.data_version();
  if (!version) return tl::unexpected(version.error());
  if (*version == data_version_) return false;
  if (auto loaded = reload(); !loaded) return tl::unexpected(loaded.error());
  return true;
}

std::optional<Account> SqliteUserStore::find(std::string_view user, std::string_view realm) const {
  const auto snapshot = snapshot_.load();
  const Account* account = snapshot->find(user, realm);
  if (account == nullptr) return std::nullopt;
  return *account;
}

bool SqliteUserStore::has_aor(std::string_view aor) const {
  return snapshot_.load()->find_aor(aor) != nullptr;
}

std::size_t SqliteUserStore::size() const { return snapshot_.load()->size(); }

tl::expected<void, std::string> SqliteUserStore::add(std::string_view aor, const Ha1Set& ha1) {
  const auto name = parse_with_credentials(aor, ha1);
  if (!name) return tl::unexpected(name.error());
  std::lock_guard lock(database_mutex_);
  sqlite3_stmt* insert = insert_.get();
  bind_text(insert, 1, name->aor);
  bind_text(insert, 2, name->user);
  bind_text(insert, 3, name->realm);
  bind_text(insert, 4, ha1.md5);
  bind_text(insert, 5, ha1.sha256);
  sqlite3_bind_int64(insert, 6, net::unix_seconds());
  return change_one(insert, *name, "exists already");
}

tl::expected<void, std::string> SqliteUserStore::set_credentials(std::string_view aor, const Ha1Set& ha1) {
  const auto name = parse_with_credentials(aor, ha1);
  if (!name) return tl::unexpected(name.error());
  std::lock_guard lock(database_mutex_);
  sqlite3_stmt* update = update_.get();
  bind_text(update, 1, name->aor);
  bind_text(update, 2, ha1.md5);
  bind_text(update, 3, ha1.sha256);
  return change_one(update, *name, "no such user");
}

tl::expected<void, std::string> SqliteUserStore::remove(std::string_view aor) {
  const auto name = parse_account_name(aor);
  if (!name) return tl::unexpected(name.error());
  std::lock_guard lock(database_mutex_);
  bind_text(delete_.get(), 1, name->aor);
  return change_one(delete_.get(), *name, "no such user");
}

tl::expected<void, std::string> SqliteUserStore::add_many(
    std::span<const std::pair<std::string, Ha1Set>> accounts) {
  // Everything is checked before the transaction begins, so a bad entry costs no write lock.
  std::vector<AccountName> names;
  names.reserve(accounts.size());
  for (const auto& [aor, ha1] : accounts) {
    auto name = parse_with_credentials(aor, ha1);
    if (!name) return tl::unexpected(name.error());
    names.push_back(std::move(*name));
  }
  if (names.empty()) return {};
  std::lock_guard lock(database_mutex_);
  const std::int64_t now = net::unix_seconds();
  sqlite3_stmt* upsert = upsert_.get();
  auto written = database_.transaction([&]() -> tl::expected<void, std::string> {
    for (std::size_t i = 0; i < names.size(); ++i) {
      const Ha1Set& ha1 = accounts[i].second;
      bind_text(upsert, 1, names[i].aor);
      bind_text(upsert, 2, names[i].user);
      bind_text(upsert, 3, names[i].realm);
      bind_text(upsert, 4, ha1.md5);
      bind_text(upsert, 5, ha1.sha256);
      sqlite3_bind_int64(upsert, 6, now);
      if (auto done = database_.step_done(upsert, names[i].aor); !done) return done;
    }
    return {};
  });
  if (!written) return written;
  return reload();
}

tl::expected<void, std::string> SqliteUserStore::change_one(sqlite3_stmt* statement, const AccountName& name,
                                                            std::string_view if_unchanged) {
  // One statement is its own transaction (autocommit): nothing half-done to roll back.
  if (auto done = database_.step_done(statement, name.aor); !done) return done;
  if (database_.changes() == 0) return tl::unexpected(name.aor + ": " + std::string(if_unchanged));
  return reload();
}

tl::expected<std::vector<Account>, std::string> SqliteUserStore::list() {
  if (auto reloaded = reload_if_changed(); !reloaded) return tl::unexpected(reloaded.error());
  return snapshot_.load()->sorted();
}

tl::expected<std::unique_ptr<UserStore>, std::string> open_user_store(const std::filesystem::path& data_dir) {
  auto store = SqliteUserStore::open(data_dir);
  if (!store) return tl::unexpected(store.error());
  return std::unique_ptr<UserStore>(std::move(*store));
}

}  // namespace osprey::store
