#pragma once
// `osprey rules test --trunk NAME [--direction in|out] [--config FILE] < message.sip`: the
// message after the trunk's header rules (docs/header-rules.md), so a rule can be tried without
// placing a call. The configuration is loaded as `osprey serve` loads it, so a rule that works
// here loads there.

#include <filesystem>
#include <istream>
#include <string>

#include <CLI/App.hpp>

#include "app/command.hpp"

namespace osprey::app {

struct RulesTestOptions {
  std::string config_file = "osprey.toml";
  std::string trunk;
  std::string direction = "out";  // out: rules_out (toward the trunk); in: rules_in (from it)
};

// Prints the message read from `in` after the rules to out and returns kExitOk; a config error,
// an unknown trunk, a message that does not parse or the rules' refusal go to err with
// kExitFailure.
int run_rules_test(const RulesTestOptions& options, std::istream& in, Streams& streams);

void register_rules(CLI::App& app, Action& action);

}  // namespace osprey::app
