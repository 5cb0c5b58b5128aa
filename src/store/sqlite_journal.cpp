#include "store/sqlite_journal.hpp"

#include <algorithm>
#include <string_view>
#include <system_error>
#include <utility>

namespace osprey::store {

tl::expected<std::unique_ptr<SqliteJournal>, std::string> SqliteJournal::open(
    const std::filesystem::path& data_dir, SqliteSync sync) {
  std::error_code failed;
  std::filesystem::create_directories(data_dir, failed);
  if (failed)
    return tl::unexpected(data_dir.string() + ": cannot create the data directory: " + failed.message());
  auto table = SqliteBindingsTable::open(data_dir / kFileName, sync);
  if (!table) return tl::unexpected(table.error());
  return std::unique_ptr<SqliteJournal>(new SqliteJournal(std::move(*table)));
}

SqliteJournal::SqliteJournal(SqliteBindingsTable table)
    : file_(table.file()), table_(std::move(table)), writer_([this] { run(); }) {}

SqliteJournal::~SqliteJournal() { close(); }

tl::expected<std::size_t, std::string> SqliteJournal::load(std::int64_t now, const Sink& sink) {
  std::lock_guard lock(table_mutex_);
  return table_.load(now, sink);
}

tl::expected<std::vector<Binding>, std::string> SqliteJournal::load(std::int64_t now) {
  std::vector<Binding> all;
  auto loaded = load(now, [&](std::string_view, std::vector<Binding>&& bindings) {
    for (auto& binding : bindings) all.push_back(std::move(binding));
  });
  if (!loaded) return tl::unexpected(loaded.error());
  return all;
}

BindingJournal::Done SqliteJournal::write(SharedPackedAor set, Done done, AorHistory history) {
  Item item{AorChange{std::move(set), history == AorHistory::new_aor}, false, false, std::move(done)};
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return std::move(item.done);
    queue_.push_back(std::move(item));
    // The writer waits for a first change, or for a full batch while it spaces commits: other
    // pushes would only wake it to go back to sleep.
    if (queue_.size() != 1 && queue_.size() != kFullBatch) return {};
  }
  wake_.notify_one();
  return {};
}

BindingJournal::Done SqliteJournal::after_pending(Done done) {
  {
    std::lock_guard lock(queue_mutex_);
    if (queue_.empty() && in_flight_ == 0) return done;
    queue_.push_back(Item{{}, true, false, std::move(done)});
    if (queue_.size() != 1 && queue_.size() != kFullBatch) return {};
  }
  wake_.notify_one();
  return {};
}

BindingJournal::Confirmation SqliteJournal::confirm(Done done) {
  {
    std::lock_guard lock(queue_mutex_);
    // Closing: the write the caller falls back on is refused in turn, as any write then is.
    if (failed_batches_ != 0 || stopping_) return {false, std::move(done)};
    if (queue_.empty() && in_flight_ == 0) return {true, std::move(done)};
    queue_.push_back(Item{{}, true, true, std::move(done)});
    if (queue_.size() != 1 && queue_.size() != kFullBatch) return {true, {}};
  }
  wake_.notify_one();
  return {true, {}};
}

void SqliteJournal::close() {
  std::lock_guard closing(close_mutex_);
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

std::string SqliteJournal::last_error() const {
  std::lock_guard lock(queue_mutex_);
  return last_error_;
}

void SqliteJournal::run() {
  using Clock = std::chrono::steady_clock;
  std::vector<Item> batch;
  Clock::time_point last_commit{};  // long ago: the first change commits at once
  std::size_t last_batch = 0;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // Spacing (see the file comment), under load only: the changes that come in meanwhile
      // join this batch. After a small batch the wait is already over.
      wake_.wait_until(lock, last_commit + spacing_after(last_batch),
                       [this] { return stopping_ || queue_.size() >= kFullBatch; });
      // Stopping drains: the writer leaves only once nothing is queued.
      if (queue_.empty()) return;
      batch.swap(queue_);
      in_flight_ = batch.size();
    }
    last_commit = Clock::now();
    // Changes only: after_pending barriers are not load.
    last_batch = static_cast<std::size_t>(
        std::count_if(batch.begin(), batch.end(), [](const Item& item) { return !item.barrier; }));
    const bool ok = write_batch(batch);
    bool clean_history = false;
    {
      std::lock_guard lock(queue_mutex_);
      clean_history = failed_batches_ == 0;
    }
    // In queue order, so one AOR's REGISTERs are answered in the order they were applied.
    for (Item& item : batch) {
      if (item.done) item.done(ok && (clean_history || !item.needs_clean_history));
    }
    batch.clear();  // keeps the capacity: the next swap hands it back to the queue
    std::lock_guard lock(queue_mutex_);
    in_flight_ = 0;
  }
}

bool SqliteJournal::write_batch(std::vector<Item>& batch) {
  // Each change is a whole set, so only the last change of an AOR in the batch needs writing.
  // It may skip deleting old rows only if every change of that AOR in the batch found it new
  // (a removal then a new REGISTER in one batch: the rows from before are still in the file).
  // Sorted by AOR, then by position in the batch: each AOR's changes sit together, its last one last.
  by_aor_.clear();
  changes_.clear();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].barrier) by_aor_.emplace_back(batch[i].change.set.aor(), i);
  }
  std::sort(by_aor_.begin(), by_aor_.end());
  for (std::size_t first = 0; first < by_aor_.size();) {
    std::size_t end = first + 1;
    bool no_rows_yet = !batch_failed_ && batch[by_aor_[first].second].change.no_rows_yet;
    while (end < by_aor_.size() && by_aor_[end].first == by_aor_[first].first) {
      no_rows_yet = no_rows_yet && batch[by_aor_[end].second].change.no_rows_yet;
      ++end;
    }
    AorChange& last = batch[by_aor_[end - 1].second].change;
    last.no_rows_yet = no_rows_yet;
    changes_.push_back(&last);
    first = end;
  }
  if (changes_.empty()) return true;  // only after_pending barriers: everything before is on disk
  tl::expected<void, std::string> written;
  {
    std::lock_guard lock(table_mutex_);
    written = table_.write(changes_);
  }
  if (!written) {
    batch_failed_ = true;
    std::lock_guard lock(queue_mutex_);
    last_error_ = written.error();
    ++failed_batches_;
    return false;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace osprey::store
