#pragma once
// The default BanStore: bans in the embedded SQLite file `<data_dir>/bans.db` (WAL), one row
// per address, readable with the sqlite3 shell. The server and the `osprey ban` tool open the
// same file and see each other's changes through take_changes.
//
// Bans can be many (an attack bans thousands of sources a minute), so nothing here re-reads the
// whole table after a change: a write transaction takes the next number of a change counter
// (table ban_version) and notes it against each address it touched (table ban_changes); a
// reader asks only for the changes numbered past the last it read, and only when
// PRAGMA data_version says another connection committed.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "store/ban_store.hpp"
#include "store/sqlite_connection.hpp"

namespace osprey::store {

class SqliteBanStore final : public BanStore {
 public:
  static constexpr const char* kFileName = "bans.db";

  // Creates `data_dir` if needed, opens or creates `data_dir/bans.db`. take_changes starts from
  // the changes committed after this.
  static tl::expected<std::unique_ptr<SqliteBanStore>, std::string> open(
      const std::filesystem::path& data_dir);

  tl::expected<std::vector<BanRecord>, std::string> list(std::int64_t now) override;
  tl::expected<void, std::string> put(const BanRecord& ban) override;
  tl::expected<void, std::string> put_all(std::span<const BanRecord> bans) override;
  tl::expected<bool, std::string> remove(std::string_view address) override;
  tl::expected<std::size_t, std::string> remove_expired(std::int64_t now, std::size_t most) override;
  tl::expected<std::vector<BanChange>, std::string> take_changes(std::size_t most) override;

  const std::filesystem::path& file() const { return database_.file(); }
  // Write transactions committed through this connection, for tests of the batching.
  std::uint64_t transactions() const { return transactions_; }

 private:
  using Statement = SqliteConnection::Statement;

  explicit SqliteBanStore(SqliteConnection database);
  tl::expected<void, std::string> prepare_statements();
  // The caller holds database_mutex_ and is inside a transaction: the next change number.
  tl::expected<std::int64_t, std::string> next_version();
  tl::expected<std::int64_t, std::string> last_version();

  std::mutex database_mutex_;  // everything below
  // Declared before the statements so it is closed after they are finalized.
  SqliteConnection database_;
  Statement select_live_;
  Statement upsert_;
  Statement delete_;
  Statement bump_version_;
  Statement select_version_;
  Statement note_change_;
  Statement select_changes_;
  Statement delete_expired_changes_;
  Statement delete_expired_;
  // Where take_changes stopped: every change numbered below read_version_ was read, and those
  // numbered read_version_ up to read_address_ (all of them when it is nullopt).
  std::int64_t read_version_ = 0;
  std::optional<std::string> read_address_;
  // Change numbers of this connection's own transactions not yet read past: skipped, not returned.
  std::vector<std::int64_t> own_versions_;
  // PRAGMA data_version when take_changes last caught up: unchanged means no other connection
  // has committed since, so there is nothing to read.
  std::int64_t data_version_ = -1;
  std::uint64_t transactions_ = 0;
};

// The default backend for `data_dir` (SQLite).
tl::expected<std::unique_ptr<BanStore>, std::string> open_ban_store(const std::filesystem::path& data_dir);

}  // namespace osprey::store
