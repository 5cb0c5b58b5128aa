#include "app/cmd_listen.hpp"

#include <memory>

namespace osprey::app {

tl::expected<client::ListenSettings, std::string> listen_settings_of(const ListenOptions& options) {
  auto client = client_settings_of(options.client);
  if (!client) return tl::unexpected(client.error());
  // RFC 3261 §10.2.2: Expires 0 removes the binding; listening needs one.
  if (options.expires == 0) return tl::unexpected(std::string("--expires must be at least 1"));
  auto account = account_of(options.account, options.aor);
  if (!account) return tl::unexpected(account.error());
  client->account = std::move(*account);
  return client::ListenSettings{options.aor, options.expires, options.count, std::move(*client)};
}

int run_listen(const ListenOptions& options, Streams& streams) {
  auto settings = listen_settings_of(options);
  if (!settings) {
    streams.err << settings.error() << '\n';
    return client::kExitBadUsage;
  }
  return client::listen_for_messages(*settings, streams.out, streams.err);
}

void register_listen(CLI::App& app, Action& action) {
  CLI::App* command = app.add_subcommand(
      "listen", "Register, print every MESSAGE received and answer it 200, unregister on Ctrl-C");
  auto options = std::make_shared<ListenOptions>();
  command->add_option("aor", options->aor, "The address-of-record to receive for, sip:user@domain")
      ->required();
  command
      ->add_option("--expires", options->expires,
                   "Seconds the binding lasts; refreshed at half the time the registrar grants")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--count", options->count,
                      "Unregister and exit after this many messages (default: run until Ctrl-C)");
  add_auth_options(command, options->account);
  add_client_options(command, options->client);
  command->callback(
      [options, &action] { action = [options](Streams& streams) { return run_listen(*options, streams); }; });
}

}  // namespace osprey::app
