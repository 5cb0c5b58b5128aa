#pragma once
// `osprey serve --config FILE`: run the server until SIGINT or SIGTERM.

#include <filesystem>

#include <CLI/App.hpp>

#include "app/command.hpp"

namespace osprey::app {

// Loads the config, binds every listener and runs until a signal; kExitOk after a clean stop,
// kExitFailure if the config is bad or a socket cannot be bound.
int run_serve(const std::filesystem::path& config_file, Streams& streams);

void register_serve(CLI::App& app, Action& action);

}  // namespace osprey::app
