#pragma once
// Per-source request rate limiting: a token bucket per source address (tokens refill at a steady
// rate up to the burst size, each message takes one). Over the limit, a source
// gets a 503 with Retry-After (RFC 3261 §21.5.4, §20.33) at most about once a second, and
// silence beyond that: answering a flood one-for-one would make us its amplifier.
//
// One RateLimiter per worker thread, by design not thread-safe: no lock on the per-message path
// (DESIGN.md, shared-nothing). A source whose datagrams reach several workers' sockets gets a
// budget per worker; the kernel's SO_REUSEPORT hash keeps one source on one socket.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

#include "security/address_key.hpp"
#include "security/address_set.hpp"

namespace osprey::security {

struct RateLimit {
  double requests_per_second = 0;  // 0: rate limiting off
  double burst = 0;                // bucket size; 0: one second's worth (at least one request)
  AddressSet exempt;               // never limited (trunks, other proxies of the cluster)
};

enum class RateDecision {
  pass,    // under the limit
  reject,  // over it: answer 503 with Retry-After
  drop,    // over it, and already told recently: drop silently
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimit limit, std::size_t max_sources = 100000);

  // Each message from `source`.
  RateDecision admit(const boost::asio::ip::address& source, Clock::time_point now);
  // Seconds a rejected source should wait before its next request gets through (the
  // Retry-After value): at least 1, at most 3600 (a longer wait tells a client nothing useful).
  std::uint32_t retry_after(const boost::asio::ip::address& source, Clock::time_point now) const;
  // Forgets sources whose buckets have filled up again: a new bucket starts full, so forgetting
  // them changes no decision. Called about once a second.
  void sweep(Clock::time_point now);

  // Sources with a bucket of their own (the memory bound is max_sources).
  std::size_t tracked_sources() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;        // requests allowed now
    double reply_tokens = 0;  // 503s allowed now
    Clock::time_point updated;
  };

  Bucket fresh_bucket(Clock::time_point now) const;
  void refill(Bucket& bucket, Clock::time_point now) const;
  // The source's own bucket, or the shared overflow bucket when max_sources are tracked already.
  Bucket& bucket_for(const boost::asio::ip::address& source, Clock::time_point now);
  const Bucket* find(const boost::asio::ip::address& source) const;

  RateLimit limit_;
  double burst_;
  std::size_t max_sources_;
  std::unordered_map<AddressKey, Bucket, AddressKeyHash> buckets_;
  // Sources beyond max_sources share this one bucket until sweep() makes room. Under a flood of
  // spoofed sources, that rate-limits the flood as a whole, while the sources already tracked keep
  // their own buckets; evicting buckets instead would hand a flooder's address a full bucket again.
  Bucket overflow_;
};

}  // namespace osprey::security
