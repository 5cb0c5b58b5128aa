#pragma once
// The default MessageStore: its own SQLite file `<data_dir>/messages.db` (not osprey.db, so
// stored messages never contend with the location writer for the file's write lock), written by
// a thread of its own with group commit as SqliteJournal is: the writer takes everything queued
// since its last transaction (stores and removals), writes it in ONE transaction with one
// fsync, then calls every callback. So each 202 Accepted waits for the disk (kill -9
// loses no message that got a 202), yet a burst of offline MESSAGEs costs one fsync per batch,
// not per message. Reads (fetch) run on the same thread, after the batch they were queued in,
// so they see every store() and remove() called before them.
//
// In memory, a MessageIndex (no bodies) answers quotas and pending_count() under one short lock:
// this is not the per-request hot path, and every call holds it for a hash lookup or two.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include <tl/expected.hpp>

#include "store/batch_writer.hpp"
#include "store/message_index.hpp"
#include "store/message_store.hpp"
#include "store/sqlite_messages_table.hpp"

namespace osprey::store {

class SqliteMessageStore final : public MessageStore {
 public:
  static constexpr const char* kFileName = "messages.db";

  // Creates `data_dir` if needed, opens or creates `data_dir/messages.db`, drops the messages
  // submitted before `now - limits.max_age_seconds` (counted as expired), loads the index of the
  // others and starts the writer. Errors name the directory or the file.
  static tl::expected<std::unique_ptr<SqliteMessageStore>, std::string> open(
      const std::filesystem::path& data_dir, MessageLimits limits, std::int64_t now,
      SqliteSync sync = SqliteSync::full);
  ~SqliteMessageStore() override;  // close()
  SqliteMessageStore(const SqliteMessageStore&) = delete;
  SqliteMessageStore& operator=(const SqliteMessageStore&) = delete;

  tl::expected<std::uint64_t, StoreRefusal> store(StoredMessage message, Durable durable) override;
  std::size_t pending_count(std::string_view aor) const override;
  void fetch(std::string_view aor, std::size_t limit, Sink sink) override;
  void remove(std::uint64_t id, Durable done) override;
  std::size_t expire(std::int64_t now) override;
  MessageStoreCounters counters() const override;
  void close() override;

  // Transactions the writer committed: with group commit, far fewer than writes under load.
  std::uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }
  // Why the last failed write or read failed (empty if none did), for logs and the admin API.
  std::string last_error() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  struct Insert {
    StoredMessage message;
    Durable durable;
  };
  struct Delete {
    std::vector<std::uint64_t> ids;
    Durable done;  // may be empty
  };
  struct Fetch {
    std::string aor;
    std::size_t limit;
    Sink sink;
  };
  using Item = std::variant<Insert, Delete, Fetch>;

  SqliteMessageStore(SqliteMessagesTable table, MessageLimits limits, MessageIndex index,
                     std::uint64_t last_id, std::uint64_t expired);
  // The writer thread's work: write the batch, then call back in queue order.
  void process(std::vector<Item>& batch);
  // Writes the stores and removals of `batch` (and removals that failed before) in one
  // transaction; true if committed.
  bool write_batch(const std::vector<Item>& batch);
  // Calls the callbacks of `batch` in queue order, running its fetches; `ok` is the write's fate.
  void finish_batch(std::vector<Item>& batch, bool ok);
  void record_error(std::string error);

  const std::filesystem::path file_;
  const MessageLimits limits_;
  SqliteMessagesTable table_;  // used only by the writer thread once it runs
  // Writer thread only: ids whose DELETE failed, retried with every batch until one commits, so
  // a delivered message does not come back at the next start (never delivered twice).
  std::vector<std::uint64_t> failed_deletes_;

  // Lock order: index_mutex_, then the writer's queue. store() queues under the index lock, so
  // the queue holds inserts in id order and a fetch never sees id n+1 committed without id n.
  mutable std::mutex index_mutex_;
  MessageIndex index_;
  std::uint64_t last_id_ = 0;
  bool closed_ = false;  // set before the writer closes, so store() never meets a closed queue

  mutable std::mutex error_mutex_;
  std::string last_error_;

  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> stored_{0};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> expired_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> write_failures_{0};

  BatchWriter<Item> writer_;  // last: its thread starts once everything above exists
};

// The default backend behind the interface (the server holds a MessageStore).
tl::expected<std::unique_ptr<MessageStore>, std::string> open_message_store(
    const std::filesystem::path& data_dir, MessageLimits limits, std::int64_t now,
    SqliteSync sync = SqliteSync::full);

}  // namespace osprey::store
