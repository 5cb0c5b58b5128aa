#pragma once
// `osprey user add|del|passwd|list|import`: the accounts digest authentication checks
// and the proxy consults to tell an unknown user (404) from one not registered (480). They live
// in `<data_dir>/users.db`; the running server picks changes up by itself.

#include <cstdint>
#include <istream>
#include <optional>
#include <string>

#include <CLI/App.hpp>

#include "app/command.hpp"

namespace osprey::app {

// import_accounts: `osprey user import`, "AOR PASSWORD" lines from standard input.
enum class UserAction : std::uint8_t { add, del, passwd, list, import_accounts };

struct UserCommand {
  UserAction action = UserAction::list;
  std::string aor;                      // add, del, passwd: "alice@example.com" or "sip:alice@example.com"
  std::optional<std::string> password;  // add, passwd: read from standard input when absent
  // Where the accounts are: the config's data_dir, or data_dir when given. With a config, add
  // accepts only AORs of its domains. At least one of the two is needed.
  std::string config_file;
  std::string data_dir;
};

// Runs one action; the password, when needed and not in `command`, is read from `in`, and so
// are the lines to import. kExitOk, kExitFailure with one line on err, or kExitUsage when
// neither --config nor --data-dir is given or a line to import is refused (then nothing is).
int run_user(const UserCommand& command, Streams& streams, std::istream& in);

void register_user(CLI::App& app, Action& action);

}  // namespace osprey::app
