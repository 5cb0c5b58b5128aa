#include "store/sqlite_bindings_table.hpp"

#include "store/binding_source_text.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace osprey::store {
namespace {

// Bumped when the schema changes; a file from a newer osprey is refused rather than misread.
// 2: instance and reg_id (RFC 5626 §6: a re-REGISTER of the same device replaces its binding),
//    added to a version-1 file at open. Its bindings get '' and 0, bindings without instance:
//    matched by Contact URI as before, and given the instance at the UA's next refresh.
constexpr int kSchemaVersion = 2;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS bindings ("
    " aor TEXT NOT NULL, position INTEGER NOT NULL, contact TEXT NOT NULL, q INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL, path TEXT NOT NULL,"
    " source TEXT NOT NULL, user_agent TEXT NOT NULL, instance TEXT NOT NULL DEFAULT '',"
    " reg_id INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (aor, position)) WITHOUT ROWID";

// Path values are header field values: after unfolding (RFC 3261 §7.3.1) they hold no line
// break, so one joins them unambiguously.
constexpr char kPathSeparator = '\n';

std::vector<std::string> split_path(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto end = text.find(kPathSeparator);
    out.emplace_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return out;
}

template <typename T>
T column_clamped(sqlite3_stmt* statement, int column) {
  const sqlite3_int64 value = sqlite3_column_int64(statement, column);
  return static_cast<T>(
      std::clamp<sqlite3_int64>(value, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
}

}  // namespace

tl::expected<SqliteBindingsTable, std::string> SqliteBindingsTable::open(const std::filesystem::path& file,
                                                                         SqliteSync sync) {
  auto connection = SqliteConnection::open(file, sync, kSchemaVersion, kSchema);
  if (!connection) return tl::unexpected(connection.error());
  if (auto migrated = connection->add_missing_columns(
          "bindings", {{"instance", "ALTER TABLE bindings ADD COLUMN instance TEXT NOT NULL DEFAULT ''"},
                       {"reg_id", "ALTER TABLE bindings ADD COLUMN reg_id INTEGER NOT NULL DEFAULT 0"}});
      !migrated) {
    return tl::unexpected(migrated.error());
  }
  SqliteBindingsTable table(std::move(*connection));
  if (auto prepared = table.connection_.prepare_all({
          {&table.delete_aor_, "DELETE FROM bindings WHERE aor = ?1"},
          {&table.insert_,
           "INSERT INTO bindings (aor, position, contact, q, expires_at, call_id, cseq, path, source, "
           "user_agent, instance, reg_id)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"},
      });
      !prepared) {
    return tl::unexpected(prepared.error());
  }
  return table;
}

void SqliteBindingsTable::bind_binding(std::string_view aor, std::size_t position,
                                       const PackedBinding& binding) {
  sqlite3_stmt* insert = insert_.get();
  path_.clear();
  for (std::string_view value : binding.path) {
    if (!path_.empty()) path_ += kPathSeparator;
    path_ += value;
  }
  bind_text(insert, 1, aor);
  sqlite3_bind_int64(insert, 2, static_cast<sqlite3_int64>(position));
  bind_text(insert, 3, binding.contact);
  sqlite3_bind_int64(insert, 4, binding.q);
  // The durable expiry, which may lie past the one granted: MemoryLocationStore::update says why.
  sqlite3_bind_int64(insert, 5, binding.durable_until);
  bind_text(insert, 6, binding.call_id);
  sqlite3_bind_int64(insert, 7, binding.cseq);
  bind_text(insert, 8, path_);
  // The stored text of every version so far (binding_source_text.hpp): old data directories
  // load, and this one stays readable by them.
  source_text_ = binding.source ? source_text(*binding.source) : std::string();
  bind_text(insert, 9, source_text_);
  bind_text(insert, 10, binding.user_agent);
  bind_text(insert, 11, binding.instance);
  sqlite3_bind_int64(insert, 12, binding.reg_id);
}

tl::expected<void, std::string> SqliteBindingsTable::replace_aor(const AorChange& change) {
  const std::string_view aor = change.set.aor();
  // Every statement costs a few thousand instructions even when it touches no row (callgrind):
  // a new AOR skips the DELETE.
  if (!change.no_rows_yet) {
    ResetOnExit reset(delete_aor_.get());
    bind_text(delete_aor_.get(), 1, aor);
    if (sqlite3_step(delete_aor_.get()) != SQLITE_DONE)
      return tl::unexpected(connection_.error("delete " + std::string(aor)));
  }
  std::size_t position = 0;
  bool failed = false;
  change.set.visit([&](const PackedBinding& binding) {
    if (failed) return;
    ResetOnExit reset(insert_.get());
    bind_binding(aor, position++, binding);
    failed = sqlite3_step(insert_.get()) != SQLITE_DONE;
  });
  if (failed) return tl::unexpected(connection_.error("insert " + std::string(aor)));
  return {};
}

tl::expected<void, std::string> SqliteBindingsTable::write(std::span<const AorChange* const> changes) {
  return connection_.transaction([&]() -> tl::expected<void, std::string> {
    for (const AorChange* change : changes) {
      if (auto replaced = replace_aor(*change); !replaced) return replaced;
    }
    return {};
  });
}

tl::expected<std::size_t, std::string> SqliteBindingsTable::load(std::int64_t now, const Sink& sink) {
  std::size_t loaded = 0;
  auto done = connection_.transaction([&]() -> tl::expected<void, std::string> {
    // Expired at `now` means expires_at <= now, as LocationStore::lookup has it.
    auto purge = connection_.prepare("DELETE FROM bindings WHERE expires_at <= ?1");
    if (!purge) return tl::unexpected(purge.error());
    sqlite3_bind_int64(purge->get(), 1, now);
    if (auto purged = connection_.step_done(purge->get(), "delete expired bindings"); !purged) return purged;

    auto select = connection_.prepare(
        "SELECT aor, contact, q, expires_at, call_id, cseq, path, source, user_agent, instance, reg_id"
        " FROM bindings"
        " ORDER BY aor, position");
    if (!select) return tl::unexpected(select.error());
    sqlite3_stmt* row = select->get();
    std::string aor;
    std::vector<Binding> bindings;
    int stepped = SQLITE_ROW;
    while ((stepped = sqlite3_step(row)) == SQLITE_ROW) {
      const std::string_view row_aor = column_bytes(row, 0);
      if (row_aor != aor) {
        if (!bindings.empty()) sink(aor, std::move(bindings));
        bindings.clear();
        aor = row_aor;
      }
      Binding& binding = bindings.emplace_back();
      binding.aor = row_aor;
      binding.contact = column_bytes(row, 1);
      binding.q = column_clamped<std::uint16_t>(row, 2);
      binding.expires_at = sqlite3_column_int64(row, 3);
      binding.call_id = column_bytes(row, 4);
      binding.cseq = column_clamped<std::uint32_t>(row, 5);
      binding.path = split_path(column_bytes(row, 6));
      binding.source = parse_source_text(column_bytes(row, 7));
      binding.user_agent = column_bytes(row, 8);
      binding.instance = column_bytes(row, 9);
      binding.reg_id = column_clamped<std::uint32_t>(row, 10);
      ++loaded;
    }
    if (stepped != SQLITE_DONE) return tl::unexpected(connection_.error("read bindings"));
    if (!bindings.empty()) sink(aor, std::move(bindings));
    return {};  // `select` is finalized on the way out, before the COMMIT
  });
  if (!done) return tl::unexpected(done.error());
  return loaded;
}

}  // namespace osprey::store
