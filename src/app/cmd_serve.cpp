#include "app/cmd_serve.hpp"

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <csignal>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "app/config.hpp"
#include "app/listeners.hpp"
#include "app/logging.hpp"

namespace osprey::app {

int run_serve(const std::filesystem::path& config_file, Streams& streams) {
  const auto config = load_config(config_file);
  if (!config) {
    streams.err << to_string(config.error()) << '\n';
    return kExitFailure;
  }
  const auto logger = make_logger(config->log_level, streams.err);
  logger->info("osprey {} starting with {}", OSPREY_VERSION, config_file.string());

  // One thread for now; the per-worker io_contexts of DESIGN.md come with the transport layer.
  boost::asio::io_context io_context(1);
  auto listeners = Listeners::bind(io_context, config->listen);
  if (!listeners) {
    logger->error("{}", to_string(listeners.error()));
    return kExitFailure;
  }
  for (const BoundSocket& socket : listeners->bound()) {
    logger->info("listening on {}", describe_socket(socket.transport, socket.address, socket.port));
  }
  logger->warn(
      "SIP is not processed yet: UDP datagrams are read and dropped, TCP/TLS connections accepted and closed "
      "({} worker(s) configured, running on one thread)",
      resolved_workers(*config));
  listeners->discard_traffic(*logger);

  boost::asio::signal_set signals(io_context, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    logger->info("received {}, stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    io_context.stop();
  });
  io_context.run();
  logger->info("stopped");
  return kExitOk;
}

void register_serve(CLI::App& app, Action& action) {
  CLI::App* command = app.add_subcommand("serve", "Run the SIP server");
  auto config_file = std::make_shared<std::string>();
  command->add_option("-c,--config", *config_file, "The TOML configuration file")->required();
  command->callback([config_file, &action] {
    action = [config_file](Streams& streams) { return run_serve(*config_file, streams); };
  });
}

}  // namespace osprey::app
