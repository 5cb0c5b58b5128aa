#pragma once
// `osprey check-config FILE`: validate a config file without starting anything, for scripts and
// for a quick check before a restart.

#include <filesystem>

#include <CLI/App.hpp>

#include "app/command.hpp"

namespace osprey::app {

// Prints "FILE: ok" to out and returns kExitOk, or the one-line error to err and kExitFailure.
int run_check_config(const std::filesystem::path& file, Streams& streams);

void register_check_config(CLI::App& app, Action& action);

}  // namespace osprey::app
