#pragma once
// Shared by the store tests: a temporary data directory, binding builders, and a bounded wait for
// callbacks that arrive on the journal's writer thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "store/binding.hpp"
#include "temp_dir.hpp"

namespace osprey::store::testing {

using TempDir = test_support::TempDir;

inline store::Binding make_binding(const std::string& aor, const std::string& contact,
                                   std::int64_t expires_at, std::uint32_t cseq = 1) {
  store::Binding binding;
  binding.aor = aor;
  binding.contact = contact;
  binding.expires_at = expires_at;
  binding.call_id = "call-" + contact;
  binding.cseq = cseq;
  binding.source = BindingSource{net::Protocol::udp, {boost::asio::ip::make_address("192.0.2.1"), 5060}, 0};
  binding.user_agent = "osprey-test";
  return binding;
}

inline std::vector<std::string> contacts_of(const std::vector<store::Binding>& bindings) {
  std::vector<std::string> out;
  for (const auto& binding : bindings) out.push_back(binding.contact);
  return out;
}

// Records `durable` callbacks (which arrive on another thread) and waits for them with a bound,
// so a lost callback fails the test instead of hanging it.
class Callbacks {
 public:
  std::function<void(bool)> make(int id) {
    return [this, id](bool ok) {
      std::lock_guard lock(mutex_);
      order_.push_back(id);
      if (ok) ++ok_;
      changed_.notify_all();
    };
  }
  bool wait_for(std::size_t count, std::chrono::seconds bound = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, bound, [&] { return order_.size() >= count; });
  }
  std::vector<int> order() const {
    std::lock_guard lock(mutex_);
    return order_;
  }
  std::size_t ok_count() const {
    std::lock_guard lock(mutex_);
    return ok_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> order_;
  std::size_t ok_ = 0;
};

// Holds a callback (and with it the journal's writer thread) until opened: lets a test queue work
// behind a batch that is still being written, deterministically.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  // Waits at most `bound`; the test fails elsewhere if it had to time out.
  void pass(std::chrono::seconds bound = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    entered_ = true;
    changed_.notify_all();
    changed_.wait_for(lock, bound, [&] { return open_; });
  }
  bool wait_entered(std::chrono::seconds bound = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, bound, [&] { return entered_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  bool entered_ = false;
};

}  // namespace osprey::store::testing
