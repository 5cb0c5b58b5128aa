#pragma once
// Which AORs have a delivery run of stored messages under way, across all workers. Two workers
// delivering the same AOR's queue at once would send messages out of order and could send one
// twice ("delivered in the order they arrived", "never delivered twice"), so a worker
// claims the AOR before its run and releases it at the end. Shared by the workers (passed in by
// reference, no global); one short lock per run start and end, never per message.

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace osprey::im {

class DeliveryClaims {
 public:
  // True when the caller now owns the AOR's run; false when another run holds it.
  bool try_claim(std::string_view aor);
  // Ends the caller's claim; a no-op for an AOR not claimed.
  void release(std::string_view aor);
  bool claimed(std::string_view aor) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_set<std::string> aors_;
};

}  // namespace osprey::im
