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

#include "registrar/binding.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace osprey::store {

// What a COMMIT waits for (https://sqlite.org/pragma.html#pragma_synchronous, /wal.html):
// - full: the WAL is fsync'ed at every commit, so a committed batch survives kill -9 AND power
//   loss or a kernel crash. The default: a 200 OK to a REGISTER promises the binding is kept.
// - normal: no fsync at commit (only at checkpoints). Still survives kill -9 of the process (the
//   commit's write() reached the kernel), still never corrupts the file, but the last commits can
//   roll back after a power loss.
enum class SqliteSync { full, normal };

// The whole new set of one AOR (empty: the AOR is gone).
struct AorChange {
  std::string aor;
  std::vector<registrar::Binding> bindings;
  // True when the file cannot hold rows of this AOR (it is new): no DELETE before the inserts.
  bool no_rows_yet = false;
};

class SqliteBindingsTable {
 public:
  using Sink = std::function<void(std::string_view aor, std::vector<registrar::Binding>&& bindings)>;

  // Opens or creates `file` (its directory must exist) in WAL mode with `sync`. Errors name the file.
  static tl::expected<SqliteBindingsTable, std::string> open(const std::filesystem::path& file,
                                                             SqliteSync sync);

  // Applies every change in one transaction; on failure rolls back and changes nothing.
  tl::expected<void, std::string> write(std::span<const AorChange* const> changes);

  // Deletes the rows expired at `now`, then hands every AOR's remaining bindings to `sink`, one
  // call per AOR; returns the number of bindings.
  tl::expected<std::size_t, std::string> load(std::int64_t now, const Sink& sink);

  const std::filesystem::path& file() const { return file_; }

 private:
  struct CloseDatabase {
    void operator()(sqlite3* db) const;
  };
  struct FinalizeStatement {
    void operator()(sqlite3_stmt* statement) const;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

  SqliteBindingsTable() = default;
  std::string error(std::string_view doing) const;
  tl::expected<void, std::string> execute(const char* sql);
  tl::expected<Statement, std::string> prepare(const char* sql);
  tl::expected<void, std::string> step_done(sqlite3_stmt* statement, std::string_view doing);
  tl::expected<void, std::string> replace_aor(const AorChange& change);

  std::filesystem::path file_;
  // Declared before the statements so it is closed after they are finalized.
  std::unique_ptr<sqlite3, CloseDatabase> db_;
  Statement begin_;
  Statement commit_;
  Statement rollback_;
  Statement delete_aor_;
  Statement insert_;
};

}  // namespace osprey::store
