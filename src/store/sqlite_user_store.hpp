#pragma once
// The default UserStore: accounts in the embedded SQLite file `<data_dir>/users.db` (WAL), one
// row per AOR, readable with the sqlite3 shell. The server and the `osprey user` tool open the
// same file; the server sees the tool's changes through reload_if_changed.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include <tl/expected.hpp>

#include "store/account_snapshot.hpp"
#include "store/sqlite_connection.hpp"
#include "store/user_store.hpp"

namespace osprey::store {

class SqliteUserStore final : public UserStore {
 public:
  static constexpr const char* kFileName = "users.db";

  // Creates `data_dir` if needed, opens or creates `data_dir/users.db` and reads every account.
  static tl::expected<std::unique_ptr<SqliteUserStore>, std::string> open(
      const std::filesystem::path& data_dir);

  std::optional<Account> find(std::string_view user, std::string_view realm) const override;
  bool has_aor(std::string_view aor) const override;
  std::size_t size() const override;
  tl::expected<bool, std::string> reload_if_changed() override;

  tl::expected<void, std::string> add(std::string_view aor, const Ha1Set& ha1) override;
  tl::expected<void, std::string> set_credentials(std::string_view aor, const Ha1Set& ha1) override;
  tl::expected<void, std::string> remove(std::string_view aor) override;
  tl::expected<void, std::string> add_many(std::span<const std::pair<std::string, Ha1Set>> accounts) override;
  tl::expected<std::vector<Account>, std::string> list() override;

  const std::filesystem::path& file() const { return database_.file(); }

 private:
  using Statement = SqliteConnection::Statement;

  explicit SqliteUserStore(SqliteConnection database);
  tl::expected<void, std::string> prepare_statements();
  // The caller holds database_mutex_ for these.
  // Reads every account into a new snapshot.
  tl::expected<void, std::string> reload();
  // Steps a bound INSERT, UPDATE or DELETE of one AOR; reloads if it changed a row, else fails
  // with "<aor>: <if_unchanged>".
  tl::expected<void, std::string> change_one(sqlite3_stmt* statement, const AccountName& name,
                                             std::string_view if_unchanged);

  std::mutex database_mutex_;  // the connection and data_version_
  // Declared before the statements so it is closed after they are finalized.
  SqliteConnection database_;
  Statement select_all_;
  Statement insert_;
  Statement upsert_;
  Statement update_;
  Statement delete_;
  // The connection's data_version when the snapshot was read: it changes when another connection
  // commits to the file, and only then; this connection's own commits reload directly.
  std::int64_t data_version_ = -1;

  std::atomic<std::shared_ptr<const AccountSnapshot>> snapshot_;
};

// The default backend for `data_dir` (SQLite).
tl::expected<std::unique_ptr<UserStore>, std::string> open_user_store(const std::filesystem::path& data_dir);

}  // namespace osprey::store
