#pragma once
// The bindings table of the embedded SQLite file: schema, the prepared statements, one
// transaction per batch of changes, and reading everything back at start-up. Not thread-safe:
// SqliteJournal serialises every use.
//
// One row per binding, keyed (aor, position): replacing an AOR's whole set is
// `DELETE WHERE aor = ?` plus one INSERT per binding, both on the primary key, and reading back
// in key order restores each set in its original order. Rows stay readable with the sqlite3 CLI.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "store/binding.hpp"
#include "store/packed_aor.hpp"
#include "store/sqlite_connection.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace osprey::store {

// The whole new set of one AOR (no bindings: the AOR is gone).
struct AorChange {
  SharedPackedAor set;
  // True when the file cannot hold rows of this AOR (it is new): no DELETE before the inserts.
  bool no_rows_yet = false;
};

class SqliteBindingsTable {
 public:
  using Sink = std::function<void(std::string_view aor, std::vector<Binding>&& bindings)>;

  // Opens or creates `file` (its directory must exist) in WAL mode with `sync`. Errors name the file.
  static tl::expected<SqliteBindingsTable, std::string> open(const std::filesystem::path& file,
                                                             SqliteSync sync);

  // Applies every change in one transaction; on failure rolls back and changes nothing.
  tl::expected<void, std::string> write(std::span<const AorChange* const> changes);

  // Deletes the rows expired at `now`, then hands every AOR's remaining bindings to `sink`, one
  // call per AOR; returns the number of bindings.
  tl::expected<std::size_t, std::string> load(std::int64_t now, const Sink& sink);

  const std::filesystem::path& file() const { return connection_.file(); }

 private:
  using Statement = SqliteConnection::Statement;

  explicit SqliteBindingsTable(SqliteConnection connection) : connection_(std::move(connection)) {}
  tl::expected<void, std::string> replace_aor(const AorChange& change);
  void bind_binding(std::string_view aor, std::size_t position, const PackedBinding& binding);

  // Declared before the statements so it is closed after they are finalized.
  SqliteConnection connection_;
  Statement delete_aor_;
  Statement insert_;
  std::string path_;         // the joined Path of the binding being inserted, kept for its capacity
  std::string source_text_;  // the source of the binding being inserted, as the table stores it
};

}  // namespace osprey::store
