#pragma once
// Runs `osprey ARGS...` in-process and captures what it prints: shared by the CLI tests.

#include <sstream>
#include <string>
#include <vector>

#include "app/cli.hpp"

namespace osprey::app::testing {

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

inline CliResult run(std::vector<std::string> args) {
  args.insert(args.begin(), "osprey");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace osprey::app::testing
