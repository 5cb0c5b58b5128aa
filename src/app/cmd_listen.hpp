#pragma once
// `osprey listen sip:bob@example.com --server host:port [--expires N] [--count N]`: registers a
// contact for the address-of-record, prints every MESSAGE it receives (time, sender, text) on
// stdout and answers it 200, refreshes the registration, and on Ctrl-C (SIGINT/SIGTERM) or
// after --count messages removes its binding and exits (client/listen_session.hpp). Exit codes
// as the other client tools (client/outcome.hpp). With a password (auth_options.hpp) every
// REGISTER answers its 401 with Digest credentials.

#include <string>

#include <CLI/App.hpp>

#include "app/auth_options.hpp"
#include "app/cmd_options.hpp"
#include "app/command.hpp"
#include "client/listen_session.hpp"

namespace osprey::app {

struct ListenOptions {
  std::string aor;
  std::uint32_t expires = 3600;
  std::size_t count = 0;
  client::DigestAccountSources account;
  ClientToolOptions client;
};

// The session's settings, or a usage error (client_settings_of).
tl::expected<client::ListenSettings, std::string> listen_settings_of(const ListenOptions& options);

int run_listen(const ListenOptions& options, Streams& streams);

void register_listen(CLI::App& app, Action& action);

}  // namespace osprey::app
