#pragma once
// The thread behind group commit: callers push items from any thread; the writer thread takes
// everything queued since it last woke as ONE batch and hands it to `process` (which writes it
// in one transaction, then calls back). Idle, a single item is processed at once; under load the
// batch grows by itself while the previous one is on its way to the disk, so throughput is
// bounded by what a transaction can hold, not by fsyncs per second. close() drains: every item
// pushed before it is processed.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace osprey::store {

template <typename Item>
class BatchWriter {
 public:
  using Process = std::function<void(std::vector<Item>& batch)>;

  // Starts the thread: `process` must be callable at once.
  explicit BatchWriter(Process process) : process_(std::move(process)), thread_([this] { run(); }) {}
  ~BatchWriter() { close(); }
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues `item`; false, with `item` untouched, once closing.
  bool push(Item& item) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
      queue_.push_back(std::move(item));
    }
    wake_.notify_one();
    return true;
  }

  // Processes what is queued, then stops the thread. Idempotent; not from the writer thread.
  void close() {
    std::lock_guard closing(close_mutex_);
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::vector<Item> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        // Stopping drains: the writer leaves only once nothing is queued.
        if (queue_.empty()) return;
        batch.swap(queue_);
      }
      process_(batch);
      batch.clear();  // keeps the capacity: the next swap hands it back to the queue
    }
  }

  const Process process_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Item> queue_;
  bool stopping_ = false;
  std::mutex close_mutex_;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace osprey::store
