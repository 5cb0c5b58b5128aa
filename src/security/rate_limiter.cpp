#include "security/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace osprey::security {
namespace {

// 503s per second and source once over the limit, with room for one at a time: enough for a
// well-behaved client to learn its Retry-After, and a flood is answered at one reply a second,
// however fast it comes.
constexpr double kRepliesPerSecond = 1.0;
constexpr double kReplyBurst = 1.0;
// Tokens are fractions of a second times a rate: allow for rounding when comparing with one.
constexpr double kTolerance = 1e-9;
// And a Retry-After computed as 5.9999999 or 6.0000001 seconds is 6.
constexpr double kSecondsTolerance = 1e-6;
constexpr std::uint32_t kMaxRetryAfter = 3600;

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_sources)
    : limit_(std::move(limit)),
      burst_(std::max(limit_.burst > 0 ? limit_.burst : limit_.requests_per_second, 1.0)),
      max_sources_(max_sources),
      buckets_(16, AddressKeyHash{random_seed()}),
      overflow_{burst_, kReplyBurst, Clock::time_point::min()} {}

RateLimiter::Bucket RateLimiter::fresh_bucket(Clock::time_point now) const {
  return Bucket{burst_, kReplyBurst, now};
}

void RateLimiter::refill(Bucket& bucket, Clock::time_point now) const {
  if (now <= bucket.updated) return;
  if (bucket.updated == Clock::time_point::min()) {  // the overflow bucket's first use
    bucket = fresh_bucket(now);
    return;
  }
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed * limit_.requests_per_second);
  bucket.reply_tokens = std::min(kReplyBurst, bucket.reply_tokens + elapsed * kRepliesPerSecond);
  bucket.updated = now;
}

RateLimiter::Bucket& RateLimiter::bucket_for(const boost::asio::ip::address& source, Clock::time_point now) {
  const AddressKey key = AddressKey::of(source);
  if (const auto it = buckets_.find(key); it != buckets_.end()) return it->second;
  if (buckets_.size() >= max_sources_) return overflow_;
  return buckets_.emplace(key, fresh_bucket(now)).first->second;
}

const RateLimiter::Bucket* RateLimiter::find(const boost::asio::ip::address& source) const {
  const auto it = buckets_.find(AddressKey::of(source));
  if (it != buckets_.end()) return &it->second;
  return buckets_.size() >= max_sources_ ? &overflow_ : nullptr;
}

RateDecision RateLimiter::admit(const boost::asio::ip::address& source, Clock::time_point now) {
  if (limit_.requests_per_second <= 0 || limit_.exempt.contains(source)) return RateDecision::pass;
  Bucket& bucket = bucket_for(source, now);
  refill(bucket, now);
  if (bucket.tokens >= 1 - kTolerance) {
    bucket.tokens = std::max(bucket.tokens - 1, 0.0);
    return RateDecision::pass;
  }
  if (bucket.reply_tokens >= 1 - kTolerance) {
    bucket.reply_tokens = std::max(bucket.reply_tokens - 1, 0.0);
    return RateDecision::reject;
  }
  return RateDecision::drop;
}

std::uint32_t RateLimiter::retry_after(const boost::asio::ip::address& source, Clock::time_point now) const {
  if (limit_.requests_per_second <= 0) return 1;
  const Bucket* tracked = find(source);
  if (tracked == nullptr) return 1;
  Bucket bucket = *tracked;
  refill(bucket, now);
  const double missing = 1 - bucket.tokens;
  if (missing <= kTolerance) return 1;
  const double seconds = std::ceil(missing / limit_.requests_per_second - kSecondsTolerance);
  return static_cast<std::uint32_t>(std::clamp(seconds, 1.0, static_cast<double>(kMaxRetryAfter)));
}

void RateLimiter::sweep(Clock::time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) {
    Bucket bucket = entry.second;
    refill(bucket, now);
    return bucket.tokens >= burst_ - kTolerance && bucket.reply_tokens >= kReplyBurst - kTolerance;
  });
}

}  // namespace osprey::security
