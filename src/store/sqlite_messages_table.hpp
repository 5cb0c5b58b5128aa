#pragma once
// The tables of `messages.db`: one row per stored MESSAGE (body as a BLOB, so binary bodies
// survive), keyed by its id, with an index on (aor, id) so fetching one user's oldest messages
// reads only them; and the last id ever assigned, so ids keep increasing across restarts even
// when every message was delivered and deleted. Not thread-safe: SqliteMessageStore serialises
// every use on its writer thread.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "store/message_index.hpp"
#include "store/message_store.hpp"
#include "store/sqlite_connection.hpp"

namespace osprey::store {

class SqliteMessagesTable {
 public:
  // One message read back at start-up, without its body.
  using IndexSink = std::function<void(std::uint64_t id, std::string_view aor, std::size_t bytes,
                                       std::int64_t submitted_at, MessageOrigin origin)>;
  struct Loaded {
    std::size_t expired = 0;    // rows deleted for age
    std::uint64_t last_id = 0;  // the highest id ever assigned (0: none yet)
  };

  // Opens or creates `file` (its directory must exist), adding the columns a file of an older
  // schema lacks. Errors name the file.
  static tl::expected<SqliteMessagesTable, std::string> open(const std::filesystem::path& file,
                                                             SqliteSync sync);

  // In one transaction: inserts `inserts`, deletes `deletes` (unknown ids are ignored), and
  // records the highest id inserted. On failure rolls back and changes nothing.
  tl::expected<void, std::string> write(std::span<const StoredMessage* const> inserts,
                                        std::span<const std::uint64_t> deletes);

  // Deletes the messages submitted before `cutoff`, then hands every other one to `sink` in id
  // order.
  tl::expected<Loaded, std::string> load(std::int64_t cutoff, const IndexSink& sink);

  // The oldest `limit` messages of `aor`, in id order, with every field.
  tl::expected<std::vector<StoredMessage>, std::string> fetch(std::string_view aor, std::size_t limit);

  const std::filesystem::path& file() const { return connection_.file(); }

 private:
  explicit SqliteMessagesTable(SqliteConnection connection) : connection_(std::move(connection)) {}

  SqliteConnection connection_;
  SqliteConnection::Statement insert_;
  SqliteConnection::Statement delete_;
  SqliteConnection::Statement record_last_id_;
  SqliteConnection::Statement fetch_;
};

}  // namespace osprey::store
