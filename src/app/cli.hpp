#pragma once
// The `osprey` command line: parses arguments with CLI11 and runs the chosen subcommand.

#include <ostream>

namespace osprey::app {

// Returns the process exit code: kExitOk, kExitFailure, or kExitUsage for any command-line error.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace osprey::app
