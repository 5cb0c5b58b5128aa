#pragma once
// A bound on how many lines of one kind reach the log: at most `lines_per_second` in each
// second, the rest counted and reported with the next line that is written. Whatever the
// traffic an attacker sends, the log grows by a fixed number of lines a second. One per worker:
// not thread-safe.

#include <chrono>
#include <cstdint>

namespace osprey::server {

class LogBudget {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogBudget(std::uint32_t lines_per_second) : lines_per_second_(lines_per_second) {}

  // Whether a line may be written at `now`. When it may, `suppressed` is set to how many lines
  // were refused since the last one written (to be said in that line), and the count restarts.
  bool admit(Clock::time_point now, std::uint64_t& suppressed);

 private:
  std::uint32_t lines_per_second_;
  Clock::time_point window_start_{};
  std::uint32_t written_in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace osprey::server
