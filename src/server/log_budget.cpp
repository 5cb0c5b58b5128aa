#include "server/log_budget.hpp"

namespace osprey::server {

bool LogBudget::admit(Clock::time_point now, std::uint64_t& suppressed) {
  if (now - window_start_ >= std::chrono::seconds(1) || now < window_start_) {
    window_start_ = now;
    written_in_window_ = 0;
  }
  if (written_in_window_ >= lines_per_second_) {
    ++suppressed_;
    return false;
  }
  ++written_in_window_;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace osprey::server
