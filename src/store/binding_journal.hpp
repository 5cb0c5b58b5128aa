#pragma once
// Where a memory store sends its changes to make them durable (write-behind, DESIGN.md): each
// change is the complete new binding set of one AOR, which keeps the journal idempotent and
// lets it keep only the last change per AOR of a batch. A change travels as the store's own
// block (PackedAor::share): no copy, where a vector of Bindings cost an allocation per string.
// SqliteJournal is the default; a Redis or PostgreSQL journal would implement the same three calls.
//
// The memory store calls write() and after_pending() while it holds the AOR's shard lock, so the
// journal sees the changes of one AOR in the order they were applied in memory. Neither call may
// block on I/O or call `done` itself: the caller would be holding a lock.

#include <functional>
#include <string_view>
#include <vector>

#include "store/binding.hpp"
#include "store/packed_aor.hpp"

namespace osprey::store {

class BindingJournal {
 public:
  // Called once, from the journal's own thread, with true when the change is durable and false
  // when writing it failed. May be empty (no one waits, e.g. for removals of expired bindings).
  using Done = std::function<void(bool ok)>;

  virtual ~BindingJournal() = default;

  // Whether the AOR had bindings in the store before this change. A new AOR has no rows in a
  // journal kept in step with the store, so a SQL journal can skip deleting its old rows (one
  // statement less per first REGISTER, the most common write under a load of new users).
  enum class AorHistory { new_aor, may_exist };

  // Queues `set` (a share of PackedAor::encode of an AOR and its bindings) as the whole new set of that AOR
  // (no bindings: the AOR is gone). Returns an empty function when queued; returns `done`
  // untouched when the journal is closed and refuses the change, for the caller to fail outside
  // its lock.
  [[nodiscard]] virtual Done write(SharedPackedAor set, Done done, AorHistory history) = 0;
  // The same, encoding `bindings` first; by default for an AOR that may have rows already: always safe.
  [[nodiscard]] Done write(std::string_view aor, const std::vector<Binding>& bindings, Done done,
                           AorHistory history = AorHistory::may_exist) {
    return write(PackedAor::encode(aor, bindings).share(), std::move(done), history);
  }

  // For a request that changed nothing but whose answer shows state that may not be durable yet
  // (a fetch-only REGISTER, RFC 3261 §10.2.3): calls `done` once every change queued before is
  // durable. Returns an empty function when it will; returns `done` untouched when nothing is
  // pending (everything earlier is already durable), for the caller to call with true at once.
  [[nodiscard]] virtual Done after_pending(Done done) = 0;

  // For a change the memory store makes without writing it, because the file already holds all
  // that change needs (an expiry-only refresh within the durable expiry: MemoryLocationStore::update).
  // That is only so while every change the journal was given reached the file: once a write has
  // failed, the file may lack what memory holds, and the change must be written after all.
  struct Confirmation {
    // false: a write failed (or the journal is closed); `call_now` is `done` untouched, to write with
    bool in_step = true;
    Done call_now;  // when set, for the caller to call with true at once (nothing pending)
  };
  // When in step: calls `done` once every change queued before is durable, as after_pending does,
  // but with false if any write fails before then (the file would not hold what was counted on).
  [[nodiscard]] virtual Confirmation confirm(Done done) = 0;

  // Writes everything queued, calls its callbacks, and stops; later writes are refused. Idempotent.
  virtual void close() = 0;
};

}  // namespace osprey::store
