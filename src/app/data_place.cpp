#include "app/data_place.hpp"

#include <utility>

#include "app/config.hpp"

namespace osprey::app {

tl::expected<DataPlace, int> find_data_place(std::string_view command, const std::string& config_file,
                                             const std::string& data_dir, Streams& streams) {
  if (config_file.empty() && data_dir.empty()) {
    streams.err << "osprey " << command << ": give --config FILE or --data-dir DIR\n";
    return tl::unexpected(kExitUsage);
  }
  DataPlace place{data_dir, {}, config_file};
  if (config_file.empty()) return place;
  // The tools reach only data_dir: the TLS files are the server's business (they may be
  // missing here, or readable only by the server's user).
  auto config = load_config(config_file, ConfigFiles::unchecked);
  if (!config) {
    streams.err << to_string(config.error()) << '\n';
    return tl::unexpected(kExitFailure);
  }
  if (place.data_dir.empty()) place.data_dir = config->data_dir;
  place.domains = std::move(config->domains);
  return place;
}

void add_data_place_options(CLI::App& command, std::string& config_file, std::string& data_dir,
                            std::string_view config_use, std::string_view file_name) {
  command.add_option("-c,--config", config_file,
                     "The server's TOML configuration: " + std::string(config_use));
  command.add_option("--data-dir", data_dir,
                     "Where " + std::string(file_name) + " is (overrides the config's data_dir)");
}

}  // namespace osprey::app
