#include "app/cmd_check_config.hpp"

#include <memory>
#include <string>

#include "app/config.hpp"
#include "app/server_settings_from_config.hpp"
#include "app/trunk_source_warnings.hpp"
#include "server/server.hpp"

namespace osprey::app {

int run_check_config(const std::filesystem::path& file, Streams& streams) {
  const auto config = load_config(file);
  if (!config) {
    streams.err << to_string(config.error()) << '\n';
    return kExitFailure;
  }
  // What serve checks beyond the file's own syntax, with serve's own code: the TLS files parse
  // and the key matches the certificate. (Not the ports: the server being checked may hold them.)
  const server::ServerSettings settings = server_settings_from(*config);
  if (auto tls = server::Server::load_tls(settings.tls); !tls) {
    streams.err << file.string() << ": " << tls.error() << '\n';
    return kExitFailure;
  }
  // Warnings do not fail the check: a lab may mean them.
  for (const std::string& warning : trunk_source_warnings(*config))
    streams.err << file.string() << ": warning: " << warning << '\n';
  streams.out << file.string() << ": ok\n";
  return kExitOk;
}

void register_check_config(CLI::App& app, Action& action) {
  CLI::App* command = app.add_subcommand("check-config", "Validate a configuration file and exit");
  auto file = std::make_shared<std::string>();
  // No ExistingFile check here: a missing file is a config error (exit 1), not a usage error.
  command->add_option("file", *file, "The TOML configuration file")->required();
  command->callback(
      [file, &action] { action = [file](Streams& streams) { return run_check_config(*file, streams); }; });
}

}  // namespace osprey::app
