#pragma once
// Keeps the bans the workers decide (security::BanTable, in memory, on the hot path) and the
// bans on disk (store::BanStore, <data_dir>/bans.db) in step, once a second from housekeeping:
// a ban a worker made is written so that it survives a restart and shows in `osprey ban list`;
// a ban an admin added with `osprey ban add` reaches the workers; one removed with
// `osprey ban del` is lifted.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "security/ban_table.hpp"
#include "store/ban_store.hpp"

namespace spdlog {
class logger;
}

namespace osprey::server {

class BanSync {
 public:
  BanSync(security::BanTable& table, store::BanStore& store, spdlog::logger& logger);

  // Loads the live bans of the store into the table (start-up).
  void load(std::int64_t now);
  // One round: new table bans written, store changes made by other processes applied.
  void run(std::int64_t now);

 private:
  security::BanTable& table_;
  store::BanStore& store_;
  spdlog::logger& logger_;
  // Address -> until, as last seen in both: tells a ban the table made (not here yet) from one
  // an admin deleted from the store (here, gone from the store).
  std::unordered_map<std::string, std::int64_t> synced_;
};

}  // namespace osprey::server
