#pragma once
// `osprey register sip:alice@example.com --server host:port [--expires N]`: registers a
// contact of this client for the address-of-record (RFC 3261 §10.2) and prints the bindings
// the registrar's 200 lists; `--expires 0` removes every binding of the AOR with
// "Contact: *" (§10.2.2): each run has a new ephemeral port, so an earlier contact cannot be named.
// A 401 is answered with Digest credentials when a password is given (auth_options.hpp).

#include <cstdint>
#include <string>

#include <CLI/App.hpp>

#include "app/auth_options.hpp"
#include "app/cmd_options.hpp"
#include "app/command.hpp"

namespace osprey::app {

struct RegisterOptions {
  std::string aor;
  client::DigestAccountSources account;
  std::uint32_t expires = 3600;
  ClientToolOptions client;
};

int run_register(const RegisterOptions& options, Streams& streams);

void register_register(CLI::App& app, Action& action);

}  // namespace osprey::app
