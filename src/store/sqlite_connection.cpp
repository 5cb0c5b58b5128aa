#include "store/sqlite_connection.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace osprey::store {

void SqliteConnection::CloseDatabase::operator()(sqlite3* db) const { sqlite3_close(db); }
void SqliteConnection::FinalizeStatement::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

tl::expected<void, std::string> create_data_directory(const std::filesystem::path& data_dir) {
  std::error_code failed;
  if (std::filesystem::create_directories(data_dir, failed); failed) {
    return tl::unexpected(data_dir.string() + ": cannot create the data directory: " + failed.message());
  }
  return {};
}

ResetOnExit::~ResetOnExit() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::string_view column_bytes(sqlite3_stmt* statement, int column) {
  // sqlite3_column_blob before sqlite3_column_bytes, as https://sqlite.org/c3ref/column_blob.html
  // asks; a NULL or empty value comes back as a null pointer.
  const void* bytes = sqlite3_column_blob(statement, column);
  if (bytes == nullptr) return {};
  return {static_cast<const char*>(bytes), static_cast<std::size_t>(sqlite3_column_bytes(statement, column))};
}

int bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
  // A null pointer would bind NULL, not '': an empty view may well have one, and columns are NOT NULL.
  const char* bytes = text.data() != nullptr ? text.data() : "";
  return sqlite3_bind_text(statement, index, bytes, static_cast<int>(text.size()), SQLITE_STATIC);
}

int bind_blob(sqlite3_stmt* statement, int index, std::string_view bytes) {
  // A zero-length blob, not NULL, for an empty body: the column is NOT NULL.
  if (bytes.empty()) return sqlite3_bind_zeroblob(statement, index, 0);
  return sqlite3_bind_blob(statement, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
}

std::string SqliteConnection::error(std::string_view doing) const {
  std::string out = file_.string();
  out += ": ";
  out += doing;
  out += ": ";
  out += db_ ? sqlite3_errmsg(db_.get()) : "out of memory";
  return out;
}

int SqliteConnection::changes() const { return sqlite3_changes(db_.get()); }

tl::expected<void, std::string> SqliteConnection::execute(const char* sql) {
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) return tl::unexpected(error(sql));
  return {};
}

tl::expected<SqliteConnection::Statement, std::string> SqliteConnection::prepare(const char* sql) {
  sqlite3_stmt* statement = nullptr;
  // PERSISTENT: these statements live as long as the connection and run thousands of times.
  if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
    return tl::unexpected(error(sql));
  }
  return Statement(statement);
}

tl::expected<void, std::string> SqliteConnection::prepare_all(
    std::initializer_list<StatementText> statements) {
  for (const auto& [into, sql] : statements) {
    auto statement = prepare(sql);
    if (!statement) return tl::unexpected(statement.error());
    *into = std::move(*statement);
  }
  return {};
}

tl::expected<void, std::string> SqliteConnection::add_missing_columns(
    std::string_view table, std::initializer_list<AddedColumn> columns) {
  std::vector<std::string> present;
  {
    auto names = prepare("SELECT name FROM pragma_table_info(?1)");
    if (!names) return tl::unexpected(names.error());
    ResetOnExit reset(names->get());
    bind_text(names->get(), 1, table);
    int stepped = SQLITE_ROW;
    while ((stepped = sqlite3_step(names->get())) == SQLITE_ROW)
      present.emplace_back(column_bytes(names->get(), 0));
    if (stepped != SQLITE_DONE) return tl::unexpected(error("read the columns of " + std::string(table)));
  }
  for (const auto& [name, alter] : columns) {
    if (std::find(present.begin(), present.end(), name) != present.end()) continue;
    auto statement = prepare(alter);
    if (!statement) return tl::unexpected(statement.error());
    if (auto added = step_done(statement->get(), std::string("add column ") + name); !added) return added;
  }
  return {};
}

tl::expected<std::int64_t, std::string> SqliteConnection::data_version() {
  sqlite3_stmt* statement = data_version_.get();
  ResetOnExit reset(statement);
  if (sqlite3_step(statement) != SQLITE_ROW) return tl::unexpected(error("PRAGMA data_version"));
  return sqlite3_column_int64(statement, 0);
}

tl::expected<void, std::string> SqliteConnection::step_done(sqlite3_stmt* statement, std::string_view doing) {
  ResetOnExit reset(statement);
  if (sqlite3_step(statement) != SQLITE_DONE) return tl::unexpected(error(doing));
  return {};
}

tl::expected<void, std::string> SqliteConnection::transaction(const Work& work) {
  if (auto begun = step_done(begin_.get(), "BEGIN"); !begun) return begun;
  auto done = work();
  if (done) done = step_done(commit_.get(), "COMMIT");
  // A failed COMMIT can leave the transaction open (SQLITE_BUSY/FULL); end it either way.
  if (!done && !sqlite3_get_autocommit(db_.get())) (void)step_done(rollback_.get(), "ROLLBACK");
  return done;
}

tl::expected<SqliteConnection, std::string> SqliteConnection::open(const std::filesystem::path& file,
                                                                   SqliteSync sync, int schema_version,
                                                                   const char* schema) {
  SqliteConnection connection;
  connection.file_ = file;
  sqlite3* db = nullptr;
  // NOMUTEX ("multi-thread" mode, https://sqlite.org/threadsafe.html): every owner already
  // serialises its connection (one writer thread, or its own mutex), so SQLite's lock around
  // each call (bind, step, reset...: a dozen per row) would only be taken and released for nothing.
  const int opened = sqlite3_open_v2(
      file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  connection.db_.reset(db);  // even on failure sqlite3_open_v2 may return a handle to close
  if (opened != SQLITE_OK) return tl::unexpected(connection.error("open"));

  // An operator's sqlite3 shell may hold the lock for a moment; wait rather than fail a batch.
  sqlite3_busy_timeout(db, 5000);
  // WAL (https://sqlite.org/wal.html): a commit appends to one file and needs one fsync; readers
  // (the CLI, a backup) never block the writer.
  auto mode = connection.prepare("PRAGMA journal_mode=WAL");
  if (!mode) return tl::unexpected(mode.error());
  {
    ResetOnExit reset(mode->get());
    if (sqlite3_step(mode->get()) != SQLITE_ROW || column_bytes(mode->get(), 0) != "wal") {
      return tl::unexpected(connection.error("PRAGMA journal_mode=WAL"));
    }
  }
  // https://sqlite.org/pragma.html#pragma_synchronous: see SqliteSync for what each promises.
  if (auto done = connection.execute(sync == SqliteSync::full ? "PRAGMA synchronous=FULL"
                                                              : "PRAGMA synchronous=NORMAL");
      !done) {
    return tl::unexpected(done.error());
  }
  auto version = connection.prepare("PRAGMA user_version");
  if (!version) return tl::unexpected(version.error());
  {
    ResetOnExit reset(version->get());
    if (sqlite3_step(version->get()) != SQLITE_ROW)
      return tl::unexpected(connection.error("PRAGMA user_version"));
    // A file from a newer osprey is refused rather than misread.
    if (const int found = sqlite3_column_int(version->get(), 0); found > schema_version) {
      return tl::unexpected(file.string() + ": schema version " + std::to_string(found) +
                            " is newer than this osprey's (" + std::to_string(schema_version) + ")");
    }
  }
  if (auto done = connection.execute(schema); !done) return tl::unexpected(done.error());
  const std::string record_version = "PRAGMA user_version=" + std::to_string(schema_version);
  if (auto done = connection.execute(record_version.c_str()); !done) return tl::unexpected(done.error());

  // BEGIN IMMEDIATE takes the write lock up front, so a batch never fails half-way on a lock.
  if (auto prepared = connection.prepare_all({{&connection.begin_, "BEGIN IMMEDIATE"},
                                              {&connection.commit_, "COMMIT"},
                                              {&connection.rollback_, "ROLLBACK"},
                                              {&connection.data_version_, "PRAGMA data_version"}});
      !prepared) {
    return tl::unexpected(prepared.error());
  }
  return connection;
}

}  // namespace osprey::store
