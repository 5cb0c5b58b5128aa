#pragma once
// The default BanStore: bans in the embedded SQLite file `<data_dir>/bans.db` (WAL), one row
// per address, readable with the sqlite3 shell. The server and the `osprey ban` tool open the
// same file and see each other's changes through reload_if_changed, as with users.db.
// Bans are few (hundreds) and written rarely, so every change simply re-reads the whole table.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "store/ban_store.hpp"
#include "store/sqlite_connection.hpp"

namespace osprey::store {

class SqliteBanStore final : public BanStore {
 public:
  static constexpr const char* kFileName = "bans.db";

  // Creates `data_dir` if needed, opens or creates `data_dir/bans.db` and reads every ban.
  static tl::expected<std::unique_ptr<SqliteBanStore>, std::string> open(
      const std::filesystem::path& data_dir);

  std::vector<BanRecord> list(std::int64_t now) const override;
  tl::expected<void, std::string> put(const BanRecord& ban) override;
  tl::expected<bool, std::string> remove(std::string_view address) override;
  tl::expected<std::size_t, std::string> remove_expired(std::int64_t now) override;
  tl::expected<bool, std::string> reload_if_changed() override;

  const std::filesystem::path& file() const { return database_.file(); }

 private:
  using Statement = SqliteConnection::Statement;
  // Every record, expired ones included, sorted by address.
  using Snapshot = std::vector<BanRecord>;

  explicit SqliteBanStore(SqliteConnection database);
  tl::expected<void, std::string> prepare_statements();
  // The caller holds database_mutex_ for these.
  tl::expected<void, std::string> reload();
  // Steps a bound write and reloads if it changed rows; how many it changed.
  tl::expected<std::size_t, std::string> change(sqlite3_stmt* statement, std::string_view doing);

  std::mutex database_mutex_;  // the connection and data_version_
  // Declared before the statements so it is closed after they are finalized.
  SqliteConnection database_;
  Statement select_all_;
  Statement upsert_;
  Statement delete_;
  Statement delete_expired_;
  // The connection's data_version when the snapshot was read: it changes when another connection
  // commits to the file, and only then; this connection's own commits reload directly.
  std::int64_t data_version_ = -1;

  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
};

// The default backend for `data_dir` (SQLite).
tl::expected<std::unique_ptr<BanStore>, std::string> open_ban_store(const std::filesystem::path& data_dir);

}  // namespace osprey::store
