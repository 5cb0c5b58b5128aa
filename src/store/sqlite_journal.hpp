#pragma once
// The default durable journal: the embedded SQLite file `<data_dir>/osprey.db`, written by a
// thread of its own so a disk never stalls a worker (DESIGN.md). Group commit: the writer takes
// everything queued since its last transaction and writes it in ONE transaction, one fsync for
// the lot, then calls every callback. Under load a batch holds hundreds of REGISTERs; idle, a
// single REGISTER commits at once. So the 200 OK waits for the disk, yet throughput is bounded
// by the rows SQLite can write, not by fsyncs per second (issue: kill -9 at any moment loses no
// acknowledged binding).
//
// Under load commits are spaced: once a commit carried kLoadedBatch changes or more, the next
// one that would start less than kCommitSpacing after it waits for the rest of that time (or
// until kFullBatch changes are queued). A lone change, or a few, commit at once: a client
// registering again and again, one at a time, waits for no timer.
//
// Why: a commit is dear whatever it carries; on the benchmark VM ~300 us of CPU (fsync, WAL page
// writes, locks) against ~3 us per REGISTER in it. Unspaced, at 10,000 REGISTERs/s a commit
// carried about 15 of them and commits were a third of osprey's CPU per REGISTER; spaced 20 ms,
// each carries about 200 (consecutive AORs also share leaf pages, written once for all). The
// cost is at most kCommitSpacing more before a 200 under load. The answers of one commit leave
// paced (registrar::RegistrarService::kAnswersPerBurst), else a client with all of them behind one UDP
// socket drops them past ~100 in a burst (SIPp at 10,000/s, unpaced: ~100 retransmissions per
// 50,000 REGISTERs at 7 ms spacing, ~1,900 at 9 ms, ~3,900 at 10 ms; paced, none at 25 ms).

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
  static constexpr std::chrono::milliseconds kCommitSpacing{20};
  // A commit this big means load: the next one is spaced. Below, commits follow each other at
  // once (a change arriving while one is on its way to the disk still joins the next).
  static constexpr std::size_t kLoadedBatch = 8;
  // How long after a commit of `changes` changes the next one waits at least.
  static constexpr std::chrono::milliseconds spacing_after(std::size_t changes) {
    return changes >= kLoadedBatch ? kCommitSpacing : std::chrono::milliseconds{0};
  }
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
  tl::expected<std::vector<Binding>, std::string> load(std::int64_t now);

  using BindingJournal::write;
  [[nodiscard]] Done write(SharedPackedAor set, Done done, AorHistory history) override;
  [[nodiscard]] Done after_pending(Done done) override;
  [[nodiscard]] Confirmation confirm(Done done) override;
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
    // confirm: fails unless every write so far, including those of this item's batch, succeeded.
    bool needs_clean_history = false;
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
  std::uint64_t failed_batches_ = 0;  // since the journal opened
  // After a failed batch the file lags the memory store: a "new" AOR may have rows there.
  bool batch_failed_ = false;  // the writer's own

  std::atomic<std::uint64_t> commits_{0};
  std::mutex close_mutex_;
  std::thread writer_;  // last: starts once everything above exists
};

}  // namespace osprey::store
