#pragma once
// The location service (RFC 3261 §10.2, §16.5): bindings by address-of-record. The hot path
// reads from memory; durability (SQLite by default) is written behind on its own thread. An
// interface, so Redis or PostgreSQL backends can follow.
//
// Thread safety: every method may be called from any worker thread. Implementations shard by
// AOR with short locks; nothing blocks on a disk.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/binding.hpp"

namespace osprey::store {

// What one REGISTER does to one AOR: the complete new set of its bindings (already filtered by
// the registrar's rules). An empty set removes the AOR. A view: the bindings stay the caller's,
// who keeps them for its answer, and must outlive the update() call that is given them.
struct AorUpdate {
  AorUpdate(const std::vector<Binding>& set) : bindings(set) {}  // NOLINT: implicit on purpose
  // Deleted: a temporary vector would be gone before update() reads the view.
  AorUpdate(std::vector<Binding>&&) = delete;
  explicit AorUpdate(std::span<const Binding> set) : bindings(set) {}

  std::span<const Binding> bindings;
};

class LocationStore {
 public:
  virtual ~LocationStore() = default;

  // The live bindings of `aor` at time `now` (seconds since the epoch): expired ones are never
  // returned, even before the store has removed them.
  virtual std::vector<Binding> lookup(std::string_view aor, std::int64_t now) const = 0;

  // Atomically for this AOR: calls decide(current live bindings) under the AOR's lock (so decide
  // must be quick and must not call the store); if it returns an update, the update replaces the
  // AOR's bindings in memory at once and is queued for durability. `durable(ok)` is called exactly
  // once, never under a store lock: from the store's writer thread when the update is on disk (ok)
  // or failed to be written (not ok); on the calling thread, before update returns, when the store
  // is not durable (ok) or refuses the update because it is shutting down (not ok, nothing
  // changed). When decide returns no update, `durable(true)` waits until every update queued
  // before is on disk (the answer may list bindings still being written), and is called at once
  // when nothing is pending. The registrar answers 200 only from `durable`.
  using Decide = std::function<std::optional<AorUpdate>(const std::vector<Binding>& current)>;
  virtual void update(std::string_view aor, std::int64_t now, const Decide& decide,
                      std::function<void(bool ok)> durable) = 0;

  // Removes every binding expired by `now`; returns how many. Called periodically.
  virtual std::size_t expire(std::int64_t now) = 0;

  virtual std::size_t aor_count() const = 0;
  virtual std::size_t binding_count() const = 0;
};

}  // namespace osprey::store
