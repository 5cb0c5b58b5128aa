#pragma once
// `osprey ban list|add|del`: the addresses the server refuses, kept in
// `<data_dir>/bans.db`. The running server re-reads the file every second, so a ban added here
// takes effect within a second and `ban del` lifts one the server made itself.

#include <cstdint>
#include <string>

#include <CLI/App.hpp>

#include "app/command.hpp"

namespace osprey::app {

enum class BanAction : std::uint8_t { list, add, del };

struct BanCommand {
  BanAction action = BanAction::list;
  std::string address;           // add, del: an IPv4 or IPv6 address
  std::int64_t minutes = 60;     // add: how long the ban lasts
  std::string reason = "admin";  // add: shown by `ban list` and in the server's log
  // Where bans.db is: the config's data_dir, or data_dir when given. One of the two is needed.
  std::string config_file;
  std::string data_dir;
};

// Runs one action at `now` (unix seconds). kExitOk; kExitFailure with one line on err (the store
// failed, or `del` of an address that is not banned); kExitUsage for a malformed address or
// when neither --config nor --data-dir is given.
int run_ban(const BanCommand& command, Streams& streams, std::int64_t now);

void register_ban(CLI::App& app, Action& action);

}  // namespace osprey::app
