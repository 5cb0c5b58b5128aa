#pragma once
// The wall clock as Unix seconds: what bindings' expiry, bans, stored messages and account
// creation times are written in. Header-only, so store/ (which links no net/ library) can use it.
// Components take a clock as a callable, so tests pass a fixed one; this is the real one.

#include <chrono>
#include <cstdint>

namespace osprey::net {

inline std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace osprey::net
