#pragma once
// `osprey options sip:host[:port]`: sends OPTIONS (RFC 3261 §11) and prints the final status
// and the server's Allow and Supported. Also the options every client tool shares (--server,
// --transport, --timeout, --ca-file, --dns-server) and their exit codes (client/outcome.hpp):
//   0 a 2xx, 1 another final response, 2 usage or bad URI, 3 timeout or unreachable.

#include <memory>
#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "app/command.hpp"
#include "client/client_request.hpp"
#include "client/outcome.hpp"

namespace osprey::app {

// What the shared options of the client tools hold before they become ClientSettings.
struct ClientToolOptions {
  std::string server;
  std::string transport;
  double timeout_seconds = 0;
  std::string ca_file;                   // --ca-file: PEM CAs for TLS servers; empty: the system store
  std::vector<std::string> dns_servers;  // --dns-server, repeatable; none: the system's resolvers
};

// Adds --server, --transport, --timeout, --ca-file and --dns-server to `command`, and the exit
// codes to its help.
void add_client_options(CLI::App* command, ClientToolOptions& options);

// The settings, or a usage error for `streams.err` (unknown transport, negative timeout).
tl::expected<client::ClientSettings, std::string> client_settings_of(const ClientToolOptions& options);

// Prints the outcome's status line (out) or failure (err) and returns its exit code.
int report_outcome(const client::Outcome& outcome, Streams& streams);

int run_options(const std::string& uri, const ClientToolOptions& options, Streams& streams);

void register_options(CLI::App& app, Action& action);

}  // namespace osprey::app
