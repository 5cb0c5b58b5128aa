#include "store/sqlite_message_store.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace osprey::store {
namespace {

// Messages submitted before this are expired at `now`; saturates instead of overflowing.
std::int64_t expiry_cutoff(std::int64_t now, std::int64_t max_age_seconds) {
  std::int64_t cutoff = 0;
  if (__builtin_sub_overflow(now, max_age_seconds, &cutoff)) {
    return max_age_seconds > 0 ? std::numeric_limits<std::int64_t>::min()
                               : std::numeric_limits<std::int64_t>::max();
  }
  return cutoff;
}

}  // namespace

tl::expected<std::unique_ptr<SqliteMessageStore>, std::string> SqliteMessageStore::open(
    const std::filesystem::path& data_dir, MessageLimits limits, std::int64_t now, SqliteSync sync) {
  if (auto created = create_data_directory(data_dir); !created) return tl::unexpected(created.error());
  auto table = SqliteMessagesTable::open(data_dir / kFileName, sync);
  if (!table) return tl::unexpected(table.error());
  MessageIndex index(limits);
  auto loaded =
      table->load(expiry_cutoff(now, limits.max_age_seconds),
                  [&](std::uint64_t id, std::string_view aor, std::size_t bytes, std::int64_t submitted_at,
                      MessageOrigin origin) { index.restore(id, aor, bytes, submitted_at, origin); });
  if (!loaded) return tl::unexpected(loaded.error());
  return std::unique_ptr<SqliteMessageStore>(
      new SqliteMessageStore(std::move(*table), limits, std::move(index), loaded->last_id, loaded->expired));
}

tl::expected<std::unique_ptr<MessageStore>, std::string> open_message_store(
    const std::filesystem::path& data_dir, MessageLimits limits, std::int64_t now, SqliteSync sync) {
  auto store = SqliteMessageStore::open(data_dir, limits, now, sync);
  if (!store) return tl::unexpected(store.error());
  return std::unique_ptr<MessageStore>(std::move(*store));
}

SqliteMessageStore::SqliteMessageStore(SqliteMessagesTable table, MessageLimits limits, MessageIndex index,
                                       std::uint64_t last_id, std::uint64_t expired)
    : file_(table.file()),
      limits_(limits),
      table_(std::move(table)),
      index_(std::move(index)),
      last_id_(last_id),
      expired_(expired),
      writer_([this](std::vector<Item>& batch) { process(batch); }) {}

SqliteMessageStore::~SqliteMessageStore() { close(); }

tl::expected<std::uint64_t, StoreRefusal> SqliteMessageStore::store(StoredMessage message, Durable durable) {
  std::lock_guard lock(index_mutex_);
  std::optional<StoreRefusal> refusal;
  if (closed_) {
    refusal = StoreRefusal::closed;
  } else {
    refusal = index_.reserve(last_id_ + 1, message.aor, stored_bytes(message), message.submitted_at,
                             MessageOrigin{message.from_outsider, message.sender});
  }
  if (refusal) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return tl::unexpected(*refusal);
  }
  const std::uint64_t id = ++last_id_;
  message.id = id;
  Item item{Insert{std::move(message), std::move(durable)}};
  // Cannot be refused: close() sets closed_ under this lock before it stops the queue.
  writer_.push(item);
  return id;
}

std::size_t SqliteMessageStore::pending_count(std::string_view aor) const {
  std::lock_guard lock(index_mutex_);
  return index_.count(aor);
}

void SqliteMessageStore::fetch(std::string_view aor, std::size_t limit, Sink sink) {
  Item item{Fetch{std::string(aor), limit, std::move(sink)}};
  if (!writer_.push(item)) std::get<Fetch>(item).sink({});
}

void SqliteMessageStore::remove(std::uint64_t id, Durable done) {
  Item item{Delete{{id}, std::move(done)}};
  {
    std::lock_guard lock(index_mutex_);
    if (!closed_) {
      // Out of memory at once: pending_count() drops and no later fetch returns it, even before
      // the deletion is on disk.
      if (index_.release(id)) delivered_.fetch_add(1, std::memory_order_relaxed);
      writer_.push(item);
      return;
    }
  }
  if (auto& refused = std::get<Delete>(item).done) refused(false);
}

std::size_t SqliteMessageStore::expire(std::int64_t now) {
  std::lock_guard lock(index_mutex_);
  if (closed_) return 0;
  std::vector<std::uint64_t> ids = index_.take_older_than(expiry_cutoff(now, limits_.max_age_seconds));
  const std::size_t count = ids.size();
  if (count == 0) return 0;
  expired_.fetch_add(count, std::memory_order_relaxed);
  Item item{Delete{std::move(ids), {}}};
  writer_.push(item);
  return count;
}

MessageStoreCounters SqliteMessageStore::counters() const {
  MessageStoreCounters out;
  out.stored = stored_.load(std::memory_order_relaxed);
  out.delivered = delivered_.load(std::memory_order_relaxed);
  out.expired = expired_.load(std::memory_order_relaxed);
  out.refused = refused_.load(std::memory_order_relaxed);
  out.write_failures = write_failures_.load(std::memory_order_relaxed);
  return out;
}

void SqliteMessageStore::close() {
  {
    std::lock_guard lock(index_mutex_);
    closed_ = true;
  }
  writer_.close();
}

std::string SqliteMessageStore::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void SqliteMessageStore::record_error(std::string error) {
  std::lock_guard lock(error_mutex_);
  last_error_ = std::move(error);
}

void SqliteMessageStore::process(std::vector<Item>& batch) { finish_batch(batch, write_batch(batch)); }

bool SqliteMessageStore::write_batch(const std::vector<Item>& batch) {
  std::vector<const StoredMessage*> inserts;
  std::vector<std::uint64_t> deletes = std::move(failed_deletes_);
  failed_deletes_.clear();
  for (const Item& item : batch) {
    if (const auto* insert = std::get_if<Insert>(&item)) inserts.push_back(&insert->message);
    if (const auto* removal = std::get_if<Delete>(&item)) {
      deletes.insert(deletes.end(), removal->ids.begin(), removal->ids.end());
    }
  }
  if (inserts.empty() && deletes.empty()) return true;  // only fetches
  auto written = table_.write(inserts, deletes);
  if (!written) {
    failed_deletes_ = std::move(deletes);
    record_error(written.error());
    return false;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void SqliteMessageStore::finish_batch(std::vector<Item>& batch, bool ok) {
  if (!ok) {
    // Release the failed messages' quota before any callback, so a sender told "not stored"
    // can retry at once.
    std::lock_guard lock(index_mutex_);
    for (const Item& item : batch) {
      if (const auto* insert = std::get_if<Insert>(&item)) index_.release(insert->message.id);
    }
  }
  // In queue order: each 202 in the order its MESSAGE was stored, each fetch after what came before.
  for (Item& item : batch) {
    if (auto* insert = std::get_if<Insert>(&item)) {
      (ok ? stored_ : write_failures_).fetch_add(1, std::memory_order_relaxed);
      if (insert->durable) insert->durable(ok);
    } else if (auto* removal = std::get_if<Delete>(&item)) {
      if (!ok) write_failures_.fetch_add(1, std::memory_order_relaxed);
      if (removal->done) removal->done(ok);
    } else if (auto* fetch = std::get_if<Fetch>(&item)) {
      auto messages = table_.fetch(fetch->aor, fetch->limit);
      if (!messages) {
        record_error(messages.error());
        fetch->sink({});
        continue;
      }
      {
        // A row whose DELETE has not committed yet (it failed and waits for a retry) is already
        // out of the index: never hand it out again.
        std::lock_guard lock(index_mutex_);
        std::erase_if(*messages, [&](const StoredMessage& message) { return !index_.contains(message.id); });
      }
      fetch->sink(std::move(*messages));
    }
  }
}

}  // namespace osprey::store
