#include "store/sqlite_messages_table.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace osprey::store {
namespace {

// Bumped when the schema changes; a file from a newer osprey is refused rather than misread.
// 2: from_outsider and sender (the outsiders' quotas), added to a version-1 file at open.
// 3: headers (the end-to-end headers of the original MESSAGE), added to older files at open;
//    their rows get '' and deliver as before, with From, To, Content-Type and the body.
constexpr int kSchemaVersion = 3;

// `id INTEGER PRIMARY KEY` is the rowid: inserting in id order appends to the b-tree. The
// header values are kept as received (delivered "with the original From, To,
// Content-Type and body").
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS messages ("
    " id INTEGER PRIMARY KEY, aor TEXT NOT NULL, from_header TEXT NOT NULL, to_header TEXT NOT NULL,"
    " content_type TEXT NOT NULL, body BLOB NOT NULL, submitted_at INTEGER NOT NULL,"
    " from_outsider INTEGER NOT NULL DEFAULT 0, sender TEXT NOT NULL DEFAULT '',"
    " headers BLOB NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS messages_by_aor ON messages (aor, id);"
    "CREATE TABLE IF NOT EXISTS message_ids (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;";

// SQLite integers are signed 64-bit: ids stay below 2^63, far beyond any message count.
sqlite3_int64 to_sql(std::uint64_t id) { return static_cast<sqlite3_int64>(id); }
std::uint64_t id_column(sqlite3_stmt* statement, int column) {
  return static_cast<std::uint64_t>(std::max<sqlite3_int64>(0, sqlite3_column_int64(statement, column)));
}

}  // namespace

tl::expected<SqliteMessagesTable, std::string> SqliteMessagesTable::open(const std::filesystem::path& file,
                                                                         SqliteSync sync) {
  auto connection = SqliteConnection::open(file, sync, kSchemaVersion, kSchema);
  if (!connection) return tl::unexpected(connection.error());
  // Version 1 files have no from_outsider/sender columns: their messages were all counted against
  // the one quota of that day, and are restored as account holders' (the defaults).
  if (auto migrated = connection->add_missing_columns(
          "messages",
          {{"from_outsider", "ALTER TABLE messages ADD COLUMN from_outsider INTEGER NOT NULL DEFAULT 0"},
           {"sender", "ALTER TABLE messages ADD COLUMN sender TEXT NOT NULL DEFAULT ''"},
           {"headers", "ALTER TABLE messages ADD COLUMN headers BLOB NOT NULL DEFAULT ''"}});
      !migrated) {
    return tl::unexpected(migrated.error());
  }
  SqliteMessagesTable table(std::move(*connection));
  if (auto prepared = table.connection_.prepare_all({
          {&table.insert_,
           "INSERT INTO messages (id, aor, from_header, to_header, content_type, body, submitted_at,"
           " from_outsider, sender, headers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
          {&table.delete_, "DELETE FROM messages WHERE id = ?1"},
          // Never lowers it: a batch only ever raises the last id.
          {&table.record_last_id_,
           "INSERT INTO message_ids (name, value) VALUES ('last_id', ?1)"
           " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)"},
          {&table.fetch_,
           "SELECT id, aor, from_header, to_header, content_type, body, submitted_at, from_outsider,"
           " sender, headers FROM messages WHERE aor = ?1 ORDER BY id LIMIT ?2"},
      });
      !prepared) {
    return tl::unexpected(prepared.error());
  }
  return table;
}

tl::expected<void, std::string> SqliteMessagesTable::write(std::span<const StoredMessage* const> inserts,
                                                           std::span<const std::uint64_t> deletes) {
  return connection_.transaction([&]() -> tl::expected<void, std::string> {
    sqlite3_stmt* insert = insert_.get();
    std::uint64_t last_id = 0;
    for (const StoredMessage* message : inserts) {
      ResetOnExit reset(insert);
      sqlite3_bind_int64(insert, 1, to_sql(message->id));
      bind_text(insert, 2, message->aor);
      bind_text(insert, 3, message->from);
      bind_text(insert, 4, message->to);
      bind_text(insert, 5, message->content_type);
      bind_blob(insert, 6, message->body);
      sqlite3_bind_int64(insert, 7, message->submitted_at);
      sqlite3_bind_int(insert, 8, message->from_outsider ? 1 : 0);
      bind_text(insert, 9, message->sender);
      bind_blob(insert, 10, message->headers);
      if (sqlite3_step(insert) != SQLITE_DONE) {
        return tl::unexpected(connection_.error("insert message " + std::to_string(message->id)));
      }
      last_id = std::max(last_id, message->id);
    }
    for (std::uint64_t id : deletes) {
      sqlite3_bind_int64(delete_.get(), 1, to_sql(id));
      if (auto deleted = connection_.step_done(delete_.get(), "delete message " + std::to_string(id));
          !deleted) {
        return deleted;
      }
    }
    if (last_id == 0) return {};
    sqlite3_bind_int64(record_last_id_.get(), 1, to_sql(last_id));
    return connection_.step_done(record_last_id_.get(), "record the last message id");
  });
}

tl::expected<SqliteMessagesTable::Loaded, std::string> SqliteMessagesTable::load(std::int64_t cutoff,
                                                                                 const IndexSink& sink) {
  Loaded loaded;
  // In one transaction with the reads, so nothing is half-purged if reading fails.
  auto done = connection_.transaction([&]() -> tl::expected<void, std::string> {
    auto purge = connection_.prepare("DELETE FROM messages WHERE submitted_at < ?1");
    if (!purge) return tl::unexpected(purge.error());
    sqlite3_bind_int64(purge->get(), 1, cutoff);
    if (auto purged = connection_.step_done(purge->get(), "delete expired messages"); !purged) return purged;
    loaded.expired = static_cast<std::size_t>(connection_.changes());

    // length() of a BLOB reads the size from the record header, not the body's pages.
    auto index = connection_.prepare(
        "SELECT id, aor, length(body) + length(headers), submitted_at, from_outsider, sender FROM messages"
        " ORDER BY id");
    if (!index) return tl::unexpected(index.error());
    sqlite3_stmt* row = index->get();
    int stepped = SQLITE_ROW;
    while ((stepped = sqlite3_step(row)) == SQLITE_ROW) {
      const std::uint64_t id = id_column(row, 0);
      sink(id, column_bytes(row, 1), static_cast<std::size_t>(sqlite3_column_int64(row, 2)),
           sqlite3_column_int64(row, 3),
           MessageOrigin{sqlite3_column_int(row, 4) != 0, column_bytes(row, 5)});
      loaded.last_id = std::max(loaded.last_id, id);
    }
    if (stepped != SQLITE_DONE) return tl::unexpected(connection_.error("read messages"));

    auto last = connection_.prepare("SELECT value FROM message_ids WHERE name = 'last_id'");
    if (!last) return tl::unexpected(last.error());
    ResetOnExit reset(last->get());
    stepped = sqlite3_step(last->get());
    if (stepped == SQLITE_ROW) loaded.last_id = std::max(loaded.last_id, id_column(last->get(), 0));
    if (stepped != SQLITE_ROW && stepped != SQLITE_DONE) {
      return tl::unexpected(connection_.error("read the last message id"));
    }
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return loaded;
}

tl::expected<std::vector<StoredMessage>, std::string> SqliteMessagesTable::fetch(std::string_view aor,
                                                                                 std::size_t limit) {
  sqlite3_stmt* row = fetch_.get();
  ResetOnExit reset(row);
  bind_text(row, 1, aor);
  const auto most = std::min<std::size_t>(limit, std::numeric_limits<sqlite3_int64>::max());
  sqlite3_bind_int64(row, 2, static_cast<sqlite3_int64>(most));
  std::vector<StoredMessage> messages;
  int stepped = SQLITE_ROW;
  while ((stepped = sqlite3_step(row)) == SQLITE_ROW) {
    StoredMessage& message = messages.emplace_back();
    message.id = id_column(row, 0);
    message.aor = column_bytes(row, 1);
    message.from = column_bytes(row, 2);
    message.to = column_bytes(row, 3);
    message.content_type = column_bytes(row, 4);
    message.body = column_bytes(row, 5);
    message.submitted_at = sqlite3_column_int64(row, 6);
    message.from_outsider = sqlite3_column_int(row, 7) != 0;
    message.sender = column_bytes(row, 8);
    message.headers = column_bytes(row, 9);
  }
  if (stepped != SQLITE_DONE)
    return tl::unexpected(connection_.error("fetch messages of " + std::string(aor)));
  return messages;
}

}  // namespace osprey::store
