#include "app/cmd_serve.hpp"

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/config.hpp"
#include "app/data_dir_lock.hpp"
#include "app/logging.hpp"
#include "app/server_settings_from_config.hpp"
#include "app/trunk_source_warnings.hpp"
#include "server/server.hpp"

namespace osprey::app {

int run_serve(const std::filesystem::path& config_file, Streams& streams) {
  const auto config = load_config(config_file);
  if (!config) {
    streams.err << to_string(config.error()) << '\n';
    return kExitFailure;
  }
  const auto logger = make_logger(config->log_level, streams.err);
  logger->info("osprey {} starting with {}", OSPREY_VERSION, config_file.string());
  for (const std::string& warning : trunk_source_warnings(*config)) logger->warn("{}", warning);

  const server::ServerSettings settings = server_settings_from(*config);
  // Held until run_serve returns, after the server stopped and flushed its files.
  std::optional<DataDirLock> data_dir_lock;
  if (!settings.data_dir.empty()) {
    auto locked = DataDirLock::acquire(settings.data_dir);
    if (!locked) {
      logger->error("{}", locked.error());
      return kExitFailure;
    }
    data_dir_lock.emplace(std::move(*locked));
  }
  auto server = server::Server::start(settings, *logger);
  if (!server) {
    logger->error("{}", server.error());
    return kExitFailure;
  }
  for (const server::BoundListener& listener : (*server)->bound()) {
    logger->info("listening on {}", server::describe(listener));
  }
  logger->info("{} worker(s) running: registrar and stateful proxy", settings.workers);

  // The main thread only waits for signals and watches the TLS files; the workers do the SIP.
  boost::asio::io_context io_context(1);
  boost::asio::signal_set signals(io_context, SIGINT, SIGTERM, SIGHUP);
  std::function<void()> wait_for_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
      if (error) return;
      if (signal_number == SIGHUP) {
        (*server)->reload_tls(true);
        // SBC mode: the trunks' header rules (and routes) of the file as it is now, for new
        // calls; calls in progress keep theirs. A file with errors changes nothing.
        if (!settings.sbc.trunks.empty()) {
          if (const auto reread = load_config(config_file)) {
            (*server)->reload_sbc(server_settings_from(*reread).sbc);
            logger->info("trunks and routes reloaded from {} for new calls", config_file.string());
            for (const std::string& warning : trunk_source_warnings(*reread)) logger->warn("{}", warning);
          } else {
            logger->error("trunks not reloaded: {}", to_string(reread.error()));
          }
        }
        wait_for_signal();
        return;
      }
      logger->info("received {}, stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
      io_context.stop();
    });
  };
  wait_for_signal();

  // Certificates renewed in place (certbot, cert-manager) are picked up without a signal.
  boost::asio::steady_timer tls_check(io_context);
  std::function<void()> schedule_tls_check = [&] {
    tls_check.expires_after(settings.tls.reload_check);
    tls_check.async_wait([&](const boost::system::error_code& error) {
      if (error) return;
      (*server)->reload_tls(false);
      schedule_tls_check();
    });
  };
  if (!settings.tls.certificate.empty()) schedule_tls_check();

  io_context.run();
  (*server)->stop();
  logger->info("stopped after {} messages ({} dropped)", (*server)->messages(), (*server)->dropped());
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
