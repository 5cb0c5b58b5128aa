#pragma once
// The default durable journal: the embedded SQLite file `<data_dir>/osprey.db`, written by a
// thread of its own so a disk never stalls a worker (DESIGN.md). Group commit: the writer takes
// everything queued since its last transaction and writes it in ONE transaction, one fsync for
// the lot, then calls every callback. Under load a batch holds hundreds of REGISTERs; idle, a
// single REGISTER commits at once. So the 200 OK waits for the disk, yet throughput is bounded
// by the rows SQLite can write, not by fsyncs per second (issue: kill -9 at any moment loses no
// acknowledged binding).
//
// Commits are spaced: one that would start less than kCommitSpacing after the previous one
// waits for the rest of that time (or until kFullBatch changes are queued). Without it, at
// 10,000 REGISTERs/s a commit carried about 15 of them, and its fsync and WAL page writes were a
// third of osprey's CPU per REGISTER; spaced 7 ms, each carries about 70 and the same pages are
// written once for all of them (consecutive AORs share leaf pages). The cost is at most
// kCommitSpacing more before a 200 under load; an idle journal still commits a lone change at once.
// Why not longer: the answers of one commit leave together, and a client behind one UDP socket
// (SIPp, an SBC) with the usual 128 KB receive buffer starts to drop them past ~100 in a burst
// (SIPp, 50,000 REGISTERs at 10,000/s: ~3,900 retransmissions at 10 ms, ~1,900 at 9 ms, ~100
// at 7 ms, ~50 at 5 ms).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <tl/expected.hpp>

#include "store/binding_journal.hpp"
#include "store/sqlite_bindings_table.hpp"

namespace osprey::store {

class SqliteJournal final : public BindingJournal {
 public:
  using Sink = SqliteBindingsTable::Sink;
  static constexpr const char* kFileName = "osprey.db";
  static constexpr std::chrono::milliseconds kCommitSpacing{7};
  static constexpr std::size_t kFullBatch = 512;

  // Creates `data_dir` if needed and opens or creates `data_dir/osprey.db`; starts the writer.
  // Errors name the directory or the file.
  static tl::expected<std::unique_ptr<SqliteJournal>, std::string> open(const std::filesystem::path& data_dir,
                                                                        SqliteSync sync = SqliteSync::full);
  ~SqliteJournal() override;  // close()
  SqliteJournal(const SqliteJournal&) = delete;
  SqliteJournal& operator=(const SqliteJournal&) = delete;

  // Deletes the bindings expired at `now` from the file and hands the others to `sink`, one call
  // per AOR, on the calling thread; returns how many bindings. Meant for start-up, before the
  // first write; safe at any time.
  tl::expected<std::size_t, std::string> load(std::int64_t now, const Sink& sink);
  // The same, as one list (tests, tools).
  tl::expected<std::vector<registrar::Binding>, std::string> load(std::int64_t now);

  using BindingJournal::write;
  [[nodiscard]] Done write(SharedPackedAor set, Done done, AorHistory history) override;
  [[nodiscard]] Done after_pending(Done done) override;
  void close() override;

  // Transactions the writer committed: with group commit, far fewer than writes under load.
  std::uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }
  // Why the last failed batch failed (empty if none did), for logs and the admin API.
  std::string last_error() const;
  const std::filesystem::path& file() const { return file_; }

 private:
  struct Item {
    AorChange change;
    bool barrier = false;  // after_pending: no change, only a callback
    Done done;
  };

  explicit SqliteJournal(SqliteBindingsTable table);
  void run();
  bool write_batch(std::vector<Item>& batch);
  // write_batch's, kept for their capacity: a batch allocates nothing once the writer has warmed up.
  std::vector<std::pair<std::string_view, std::size_t>> by_aor_;
  std::vector<const AorChange*> changes_;

  const std::filesystem::path file_;
  std::mutex table_mutex_;  // the connection: the writer's batches and load()
  SqliteBindingsTable table_;

  mutable std::mutex queue_mutex_;
  std::condition_variable wake_;
  std::vector<Item> queue_;
  std::size_t in_flight_ = 0;  // items the writer took and has not finished
  bool stopping_ = false;
  std::string last_error_;
  // After a failed batch the file lags the memory store: a "new" AOR may have rows there.
  bool batch_failed_ = false;  // the writer's own

  std::atomic<std::uint64_t> commits_{0};
  std::mutex close_mutex_;
  std::thread writer_;  // last: starts once everything above exists
};

}  // namespace osprey::store
