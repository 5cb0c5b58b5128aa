#pragma once
// Where the server's files are, for the tools that change them while it runs (`osprey user`,
// `osprey ban`): the config's data_dir, or --data-dir, which wins over it. One place for the
// options and the rules, so every such tool finds the same directory the same way.

#include <string>
#include <string_view>
#include <vector>

#include <CLI/App.hpp>
#include <tl/expected.hpp>

#include "app/command.hpp"

namespace osprey::app {

struct DataPlace {
  std::string data_dir;
  std::vector<std::string> domains;  // the config's domains; empty without a config
  std::string config_file;           // empty without one
};

// Resolves `config_file` and `data_dir` (either may be empty, not both). On failure prints one
// line on streams.err and returns the exit code: kExitUsage when neither is given ("osprey
// <command>: give --config FILE or --data-dir DIR"), kExitFailure when the config is unusable.
tl::expected<DataPlace, int> find_data_place(std::string_view command, const std::string& config_file,
                                             const std::string& data_dir, Streams& streams);

// Adds -c,--config and --data-dir to `command`, stored into `config_file` and `data_dir`.
// `config_use` says what the command takes from the config ("its data_dir and domains"),
// `file_name` which file is in the data directory ("users.db").
void add_data_place_options(CLI::App& command, std::string& config_file, std::string& data_dir,
                            std::string_view config_use, std::string_view file_name);

}  // namespace osprey::app
