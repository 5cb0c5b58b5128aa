#pragma once
// What every `osprey` subcommand shares. Parsing the command line only chooses an Action; it
// runs after CLI11 has finished, so a usage error never leaves a command half-run, and commands
// write to the streams they are given (tests pass string streams).

#include <functional>
#include <ostream>

namespace osprey::app {

struct Streams {
  std::ostream& out;
  std::ostream& err;
};

// Process exit codes, the same for every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime or configuration error
inline constexpr int kExitUsage = 2;    // bad command line

using Action = std::function<int(Streams&)>;

}  // namespace osprey::app
