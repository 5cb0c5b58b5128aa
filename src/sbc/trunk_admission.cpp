#include "sbc/trunk_admission.hpp"

#include <algorithm>
#include <cmath>

namespace osprey::sbc {

struct TrunkAdmission::Shared {
  std::mutex mutex;
  double tokens = 0;
  Clock::time_point refilled;
  std::uint32_t active = 0;
};

TrunkAdmission::Ticket& TrunkAdmission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    shared_ = std::move(other.shared_);
  }
  return *this;
}

void TrunkAdmission::Ticket::release() {
  if (!shared_) return;
  {
    std::lock_guard lock(shared_->mutex);
    if (shared_->active > 0) --shared_->active;
  }
  shared_.reset();
}

namespace {

// One second's worth of calls, and at least one whole call (a limit of 0.5/s admits one call,
// then one every two seconds).
double burst_of(const TrunkLimits& limits) { return std::max(1.0, limits.calls_per_second); }

}  // namespace

TrunkAdmission::TrunkAdmission(const TrunkLimits& limits, Clock::time_point now)
    : limits_(limits), shared_(std::make_shared<Shared>()) {
  // A negative or NaN rate from a bad configuration is taken as no limit rather than as "none".
  if (!(limits_.calls_per_second > 0)) limits_.calls_per_second = 0;
  shared_->tokens = burst_of(limits_);
  shared_->refilled = now;
}

TrunkAdmission::TrunkAdmission(const TrunkLimits& limits, const TrunkAdmission& previous)
    : limits_(limits), shared_(previous.shared_) {
  if (!(limits_.calls_per_second > 0)) limits_.calls_per_second = 0;
  // A lower rate than before: the saved burst shrinks to the new one at once.
  std::lock_guard lock(shared_->mutex);
  shared_->tokens = std::min(shared_->tokens, burst_of(limits_));
}

tl::expected<TrunkAdmission::Ticket, TrunkAdmission::Refusal> TrunkAdmission::try_admit(
    Clock::time_point now) {
  std::lock_guard lock(shared_->mutex);
  if (limits_.max_calls != 0 && shared_->active >= limits_.max_calls) {
    return tl::unexpected(Refusal{Limit::concurrent_calls, kConcurrentRetryAfterSeconds});
  }
  if (auto token = take_token(now); !token) return tl::unexpected(token.error());
  ++shared_->active;
  return Ticket(shared_);
}

tl::expected<void, TrunkAdmission::Refusal> TrunkAdmission::try_admit_request(Clock::time_point now) {
  std::lock_guard lock(shared_->mutex);
  return take_token(now);
}

tl::expected<void, TrunkAdmission::Refusal> TrunkAdmission::take_token(Clock::time_point now) {
  if (limits_.calls_per_second <= 0) return {};
  // Workers' clocks are read at slightly different moments: time never runs backwards here.
  if (now > shared_->refilled) {
    const double elapsed = std::chrono::duration<double>(now - shared_->refilled).count();
    shared_->tokens = std::min(burst_of(limits_), shared_->tokens + elapsed * limits_.calls_per_second);
    shared_->refilled = now;
  }
  if (shared_->tokens < 1.0) {
    const double wait = (1.0 - shared_->tokens) / limits_.calls_per_second;
    const auto seconds = static_cast<std::uint32_t>(std::clamp(std::ceil(wait), 1.0, 3600.0));
    return tl::unexpected(Refusal{Limit::calls_per_second, seconds});
  }
  shared_->tokens -= 1.0;
  return {};
}

std::uint32_t TrunkAdmission::active_calls() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->active;
}

TrunkAdmissions::TrunkAdmissions(const std::vector<Trunk>& trunks, TrunkAdmission::Clock::time_point now,
                                 const TrunkAdmissions* previous) {
  for (const Trunk& trunk : trunks) {
    const TrunkAdmission* before = previous != nullptr ? previous->of(trunk.name) : nullptr;
    by_name_.try_emplace(trunk.name, before != nullptr
                                         ? std::make_unique<TrunkAdmission>(trunk.limits, *before)
                                         : std::make_unique<TrunkAdmission>(trunk.limits, now));
  }
}

TrunkAdmission* TrunkAdmissions::of(std::string_view trunk_name) const {
  auto found = by_name_.find(std::string(trunk_name));
  return found == by_name_.end() ? nullptr : found->second.get();
}

}  // namespace osprey::sbc
