#include "store/sqlite_bindings_table.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace osprey::store {
namespace {

using registrar::Binding;

// Bumped when the schema changes; a file from a newer osprey is refused rather than misread.
constexpr int kSchemaVersion = 1;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS bindings ("
    " aor TEXT NOT NULL, position INTEGER NOT NULL, contact TEXT NOT NULL, q INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL, path TEXT NOT NULL,"
    " source TEXT NOT NULL, user_agent TEXT NOT NULL, PRIMARY KEY (aor, position)) WITHOUT ROWID";

// Path values are header field values: after unfolding (RFC 3261 §7.3.1) they hold no line
// break, so one joins them unambiguously.
constexpr char kPathSeparator = '\n';

std::string join_path(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& value : path) {
    if (!out.empty()) out += kPathSeparator;
    out += value;
  }
  return out;
}

std::vector<std::string> split_path(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto end = text.find(kPathSeparator);
    out.emplace_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return out;
}

std::string_view column_text(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  return text == nullptr
             ? std::string_view{}
             : std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
}

template <typename T>
T column_clamped(sqlite3_stmt* statement, int column) {
  const sqlite3_int64 value = sqlite3_column_int64(statement, column);
  return static_cast<T>(
      std::clamp<sqlite3_int64>(value, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

int bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
  // SQLITE_STATIC: the text outlives the step that reads it.
  return sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// Resets a statement when leaving scope, whatever the path out, so it never holds a read
// transaction or stale bindings open.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ~ResetOnExit() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* statement_;
};

}  // namespace

void SqliteBindingsTable::CloseDatabase::operator()(sqlite3* db) const { sqlite3_close(db); }
void SqliteBindingsTable::FinalizeStatement::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

std::string SqliteBindingsTable::error(std::string_view doing) const {
  std::string out = file_.string();
  out += ": ";
  out += doing;
  out += ": ";
  out += db_ ? sqlite3_errmsg(db_.get()) : "out of memory";
  return out;
}

tl::expected<void, std::string> SqliteBindingsTable::execute(const char* sql) {
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) return tl::unexpected(error(sql));
  return {};
}

tl::expected<SqliteBindingsTable::Statement, std::string> SqliteBindingsTable::prepare(const char* sql) {
  sqlite3_stmt* statement = nullptr;
  // PERSISTENT: these statements live as long as the connection and run thousands of times.
  if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
    return tl::unexpected(error(sql));
  }
  return Statement(statement);
}

tl::expected<void, std::string> SqliteBindingsTable::step_done(sqlite3_stmt* statement,
                                                               std::string_view doing) {
  ResetOnExit reset(statement);
  if (sqlite3_step(statement) != SQLITE_DONE) return tl::unexpected(error(doing));
  return {};
}

tl::expected<SqliteBindingsTable, std::string> SqliteBindingsTable::open(const std::filesystem::path& file,
                                                                         SqliteSync sync) {
  SqliteBindingsTable table;
  table.file_ = file;
  sqlite3* db = nullptr;
  const int opened = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  table.db_.reset(db);  // even on failure sqlite3_open_v2 may return a handle to close
  if (opened != SQLITE_OK) return tl::unexpected(table.error("open"));

  // An operator's sqlite3 shell may hold the lock for a moment; wait rather than fail a batch.
  sqlite3_busy_timeout(db, 5000);
  // WAL (https://sqlite.org/wal.html): a commit appends to one file and needs one fsync; readers
  // (the CLI, a backup) never block the writer.
  {
    auto mode = table.prepare("PRAGMA journal_mode=WAL");
    if (!mode) return tl::unexpected(mode.error());
    ResetOnExit reset(mode->get());
    if (sqlite3_step(mode->get()) != SQLITE_ROW || column_text(mode->get(), 0) != "wal") {
      return tl::unexpected(table.error("PRAGMA journal_mode=WAL"));
    }
  }
  if (auto done =
          table.execute(sync == SqliteSync::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      !done) {
    return tl::unexpected(done.error());
  }
  {
    auto version = table.prepare("PRAGMA user_version");
    if (!version) return tl::unexpected(version.error());
    ResetOnExit reset(version->get());
    if (sqlite3_step(version->get()) != SQLITE_ROW) return tl::unexpected(table.error("PRAGMA user_version"));
    const int found = sqlite3_column_int(version->get(), 0);
    if (found > kSchemaVersion) {
      return tl::unexpected(file.string() + ": schema version " + std::to_string(found) +
                            " is newer than this osprey's (" + std::to_string(kSchemaVersion) + ")");
    }
  }
  if (auto done = table.execute(kSchema); !done) return tl::unexpected(done.error());
  if (auto done = table.execute("PRAGMA user_version=1"); !done) return tl::unexpected(done.error());

  struct Prepared {
    Statement* into;
    const char* sql;
  };
  // BEGIN IMMEDIATE takes the write lock up front, so a batch never fails half-way on a lock.
  const Prepared statements[] = {
      {&table.begin_, "BEGIN IMMEDIATE"},
      {&table.commit_, "COMMIT"},
      {&table.rollback_, "ROLLBACK"},
      {&table.delete_aor_, "DELETE FROM bindings WHERE aor = ?1"},
      {&table.insert_,
       "INSERT INTO bindings (aor, position, contact, q, expires_at, call_id, cseq, path, source, user_agent)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
  };
  for (const auto& [into, sql] : statements) {
    auto statement = table.prepare(sql);
    if (!statement) return tl::unexpected(statement.error());
    *into = std::move(*statement);
  }
  return table;
}

tl::expected<void, std::string> SqliteBindingsTable::replace_aor(const AorChange& change) {
  // Every statement costs a few thousand instructions even when it touches no row (callgrind):
  // a new AOR skips the DELETE.
  if (!change.no_rows_yet) {
    ResetOnExit reset(delete_aor_.get());
    bind_text(delete_aor_.get(), 1, change.aor);
    if (sqlite3_step(delete_aor_.get()) != SQLITE_DONE) return tl::unexpected(error("delete " + change.aor));
  }
  sqlite3_stmt* insert = insert_.get();
  std::string path;
  for (std::size_t position = 0; position < change.bindings.size(); ++position) {
    const Binding& binding = change.bindings[position];
    ResetOnExit reset(insert);
    path = join_path(binding.path);
    bind_text(insert, 1, change.aor);
    sqlite3_bind_int64(insert, 2, static_cast<sqlite3_int64>(position));
    bind_text(insert, 3, binding.contact);
    sqlite3_bind_int64(insert, 4, binding.q);
    sqlite3_bind_int64(insert, 5, binding.expires_at);
    bind_text(insert, 6, binding.call_id);
    sqlite3_bind_int64(insert, 7, binding.cseq);
    bind_text(insert, 8, path);
    bind_text(insert, 9, binding.source);
    bind_text(insert, 10, binding.user_agent);
    if (sqlite3_step(insert) != SQLITE_DONE) return tl::unexpected(error("insert " + change.aor));
  }
  return {};
}

tl::expected<void, std::string> SqliteBindingsTable::write(std::span<const AorChange* const> changes) {
  if (auto begun = step_done(begin_.get(), "BEGIN"); !begun) return begun;
  for (const AorChange* change : changes) {
    if (auto replaced = replace_aor(*change); !replaced) {
      (void)step_done(rollback_.get(), "ROLLBACK");
      return replaced;
    }
  }
  if (auto committed = step_done(commit_.get(), "COMMIT"); !committed) {
    // A failed COMMIT can leave the transaction open (SQLITE_BUSY/FULL); end it either way.
    if (!sqlite3_get_autocommit(db_.get())) (void)step_done(rollback_.get(), "ROLLBACK");
    return committed;
  }
  return {};
}

tl::expected<std::size_t, std::string> SqliteBindingsTable::load(std::int64_t now, const Sink& sink) {
  if (auto begun = step_done(begin_.get(), "BEGIN"); !begun) return tl::unexpected(begun.error());
  auto fail = [&](std::string message) -> tl::expected<std::size_t, std::string> {
    (void)step_done(rollback_.get(), "ROLLBACK");
    return tl::unexpected(std::move(message));
  };
  // Expired at `now` means expires_at <= now, as LocationStore::lookup has it.
  auto purge = prepare("DELETE FROM bindings WHERE expires_at <= ?1");
  if (!purge) return fail(purge.error());
  sqlite3_bind_int64(purge->get(), 1, now);
  if (auto purged = step_done(purge->get(), "delete expired bindings"); !purged) return fail(purged.error());

  auto select = prepare(
      "SELECT aor, contact, q, expires_at, call_id, cseq, path, source, user_agent FROM bindings"
      " ORDER BY aor, position");
  if (!select) return fail(select.error());
  sqlite3_stmt* row = select->get();
  std::size_t loaded = 0;
  std::string aor;
  std::vector<Binding> bindings;
  int stepped = SQLITE_ROW;
  while ((stepped = sqlite3_step(row)) == SQLITE_ROW) {
    const std::string_view row_aor = column_text(row, 0);
    if (row_aor != aor) {
      if (!bindings.empty()) sink(aor, std::move(bindings));
      bindings.clear();
      aor = row_aor;
    }
    Binding& binding = bindings.emplace_back();
    binding.aor = row_aor;
    binding.contact = column_text(row, 1);
    binding.q = column_clamped<std::uint16_t>(row, 2);
    binding.expires_at = sqlite3_column_int64(row, 3);
    binding.call_id = column_text(row, 4);
    binding.cseq = column_clamped<std::uint32_t>(row, 5);
    binding.path = split_path(column_text(row, 6));
    binding.source = column_text(row, 7);
    binding.user_agent = column_text(row, 8);
    ++loaded;
  }
  if (stepped != SQLITE_DONE) return fail(error("read bindings"));
  if (!bindings.empty()) sink(aor, std::move(bindings));
  select->reset();
  if (auto committed = step_done(commit_.get(), "COMMIT"); !committed) return fail(committed.error());
  return loaded;
}

}  // namespace osprey::store
