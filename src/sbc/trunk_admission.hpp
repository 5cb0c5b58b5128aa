#pragma once
// Per-trunk admission (sbc::TrunkLimits): calls per second, as a token bucket whose burst is one
// second's worth (at least one call), and concurrent calls, counted in both directions. Calls
// start on any worker, so the state of a trunk is shared: one short lock per trunk, held for a
// few arithmetic operations, never across I/O.
//
// An admitted call holds a TrunkAdmission::Ticket; its slot is returned when the ticket is
// released or destroyed, exactly once, whichever end path the call takes (BYE, CANCEL, failure,
// timeout, a worker tearing the call down). A ticket keeps the trunk's counters alive, so a
// configuration reload that replaces the TrunkAdmission leaves calls in progress counted where
// they started.
//
// A refusal is answered by the caller with 503 Service Unavailable and Retry-After
// (RFC 3261 §21.5.4, §20.33): Refusal::retry_after_seconds. Recommended values, kept short on
// purpose: a proxy in front of osprey that gets 503 with Retry-After may stop sending it anything
// for that long (RFC 3263 §4.3), and this refusal concerns one trunk only. For calls from our
// users with another trunk on the route, try that trunk before answering 503.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tl/expected.hpp>

#include "sbc/trunk.hpp"

namespace osprey::sbc {

class TrunkAdmission {
 public:
  using Clock = std::chrono::steady_clock;

  // Retry-After for a refusal because the trunk's concurrent calls are all up: nobody knows when
  // one ends, and a few seconds does not make a proxy in front shun osprey for long.
  static constexpr std::uint32_t kConcurrentRetryAfterSeconds = 5;

  enum class Limit : std::uint8_t { calls_per_second, concurrent_calls };
  struct Refusal {
    Limit limit = Limit::calls_per_second;
    // For 503's Retry-After: the whole seconds until a token is due (at least 1) for
    // calls_per_second; kConcurrentRetryAfterSeconds for concurrent_calls.
    std::uint32_t retry_after_seconds = 1;
  };

 private:
  struct Shared;

 public:
  // An admitted call's slot. Move-only; released once, by release() or the destructor.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept = default;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }

    // Returns the slot; later calls do nothing.
    void release();
    bool holds_slot() const { return shared_ != nullptr; }

   private:
    friend class TrunkAdmission;
    explicit Ticket(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
    std::shared_ptr<Shared> shared_;
  };

  TrunkAdmission(const TrunkLimits& limits, Clock::time_point now);
  // The same trunk under a reloaded configuration: its new limits over `previous`'s state
  // (the calls it counts, its tokens), which both then share. A reload never resets a trunk's
  // count of calls in progress, so max_calls holds across it.
  TrunkAdmission(const TrunkLimits& limits, const TrunkAdmission& previous);

  // Admits a call starting at `now` (either direction), or says which limit refused it. A call
  // refused for concurrency spends no token.
  tl::expected<Ticket, Refusal> try_admit(Clock::time_point now);
  // A request toward the trunk outside any call (a MESSAGE): one token of calls_per_second, so
  // that messages cannot go where calls may not; the concurrent-call limit is not about it.
  tl::expected<void, Refusal> try_admit_request(Clock::time_point now);

  std::uint32_t active_calls() const;
  const TrunkLimits& limits() const { return limits_; }

 private:
  // Takes a token of calls_per_second; the caller holds the lock.
  tl::expected<void, Refusal> take_token(Clock::time_point now);

  TrunkLimits limits_;
  std::shared_ptr<Shared> shared_;
};

// The admissions of every configured trunk, by name; built once per configuration and shared by
// the workers (its map is never changed after construction, so lookups take no lock).
class TrunkAdmissions {
 public:
  // `previous`: the admissions of the configuration this one replaces (SIGHUP); a trunk of the
  // same name carries its state over (see the TrunkAdmission constructor above). A trunk that
  // is new or renamed starts with no call counted.
  TrunkAdmissions(const std::vector<Trunk>& trunks, TrunkAdmission::Clock::time_point now,
                  const TrunkAdmissions* previous = nullptr);

  // nullptr for a trunk not configured.
  TrunkAdmission* of(std::string_view trunk_name) const;

 private:
  std::unordered_map<std::string, std::unique_ptr<TrunkAdmission>> by_name_;
};

}  // namespace osprey::sbc
