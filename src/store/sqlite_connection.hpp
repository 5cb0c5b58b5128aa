#pragma once
// One connection to an embedded SQLite file, set up as osprey's durable files are: WAL, the
// chosen `synchronous`, a schema version that refuses files from a newer osprey, persistent
// prepared statements, write transactions that roll back on any failure, and errors that name
// the file. SqliteMessagesTable, SqliteBindingsTable and the user store each own one and add
// their statements. Not thread-safe: opened without SQLite's own per-call locking, so its owner
// must never let two threads use it at once.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

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

class SqliteConnection {
 public:
  struct FinalizeStatement {
    void operator()(sqlite3_stmt* statement) const;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;
  using Work = std::function<tl::expected<void, std::string>()>;

  // Opens or creates `file` (its directory must exist) in WAL mode with `sync`, refuses a file
  // whose schema version is above `schema_version`, then runs `schema` (one or more statements,
  // which must be idempotent: CREATE ... IF NOT EXISTS) and records the version.
  static tl::expected<SqliteConnection, std::string> open(const std::filesystem::path& file, SqliteSync sync,
                                                          int schema_version, const char* schema);

  tl::expected<Statement, std::string> prepare(const char* sql);
  // Prepares each `sql` into its `into`; stops at the first failure.
  struct StatementText {
    Statement* into;
    const char* sql;
  };
  tl::expected<void, std::string> prepare_all(std::initializer_list<StatementText> statements);
  // https://sqlite.org/pragma.html#pragma_data_version: changes when another connection commits
  // to the file, so a reader can tell whether to reload.
  tl::expected<std::int64_t, std::string> data_version();
  // Steps a statement that returns no row, then resets it and clears its bindings.
  tl::expected<void, std::string> step_done(sqlite3_stmt* statement, std::string_view doing);
  // Runs `work` in one write transaction: committed if it succeeds, rolled back (nothing
  // changed) if it or the COMMIT fails.
  tl::expected<void, std::string> transaction(const Work& work);
  // A column a later schema version added to `table`, and the ALTER TABLE that adds it to a file
  // made before it.
  struct AddedColumn {
    const char* name;
    const char* alter;
  };
  // Runs the `alter` of each column `table` lacks: how an older file is brought up to the schema
  // (CREATE TABLE IF NOT EXISTS leaves an existing table as it is).
  tl::expected<void, std::string> add_missing_columns(std::string_view table,
                                                      std::initializer_list<AddedColumn> columns);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const;
  // "<file>: <doing>: <SQLite's message>".
  std::string error(std::string_view doing) const;

  const std::filesystem::path& file() const { return file_; }

 private:
  struct CloseDatabase {
    void operator()(sqlite3* db) const;
  };
  SqliteConnection() = default;
  tl::expected<void, std::string> execute(const char* sql);

  std::filesystem::path file_;
  // Declared before the statements so it is closed after they are finalized.
  std::unique_ptr<sqlite3, CloseDatabase> db_;
  Statement begin_;
  Statement commit_;
  Statement rollback_;
  Statement data_version_;
};

// Creates the data directory (and its parents) if needed; the error names it.
tl::expected<void, std::string> create_data_directory(const std::filesystem::path& data_dir);

// Resets a statement when leaving scope, whatever the path out, so it never holds a read
// transaction or stale bindings open.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ~ResetOnExit();
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* statement_;
};

// A text or blob column as bytes: valid until the next step or reset of `statement`.
std::string_view column_bytes(sqlite3_stmt* statement, int column);
// Bind without copying (SQLITE_STATIC): the bytes must outlive the step that reads them.
int bind_text(sqlite3_stmt* statement, int index, std::string_view text);
int bind_blob(sqlite3_stmt* statement, int index, std::string_view bytes);

}  // namespace osprey::store
