#pragma once
// Keeps the bans the workers decide (security::BanTable, in memory, on the hot path) and the
// bans on disk (store::BanStore, <data_dir>/bans.db) in step, once a second from housekeeping:
// a ban a worker made is written so that it survives a restart and shows in `osprey ban list`;
// a ban an admin added with `osprey ban add` reaches the workers; one removed with
// `osprey ban del` is lifted.
//
// A round's work is bounded whatever the attack: at most kMaxWritesPerRound new bans, written in
// one transaction, at most kMaxChangesPerRound changes of other processes read, at most
// kMaxExpiredPerRound ended bans deleted. The rest waits for the next rounds, so the rest of
// housekeeping (account reloads) and a stop are never held up by a flood of bans.

#include <cstddef>
#include <cstdint>

#include "security/ban_table.hpp"
#include "store/ban_store.hpp"

namespace spdlog {
class logger;
}

namespace osprey::server {

class BanSync {
 public:
  // A transaction of this many upserts takes some tens of milliseconds: 120,000 bans are on disk
  // within 12 rounds, and meanwhile they are in force in memory anyway.
  static constexpr std::size_t kMaxWritesPerRound = 10000;
  static constexpr std::size_t kMaxChangesPerRound = 10000;
  static constexpr std::size_t kMaxExpiredPerRound = 10000;

  BanSync(security::BanTable& table, store::BanStore& store, spdlog::logger& logger);

  // Loads the live bans of the store into the table (start-up).
  void load(std::int64_t now);
  // One round: store changes made by other processes applied, new table bans written, ended
  // bans dropped, each within its bound.
  void run(std::int64_t now);

 private:
  security::BanTable& table_;
  store::BanStore& store_;
  spdlog::logger& logger_;
};

}  // namespace osprey::server
