#include "app/cmd_options.hpp"

#include <chrono>
#include <cmath>

#include "app/dns_config.hpp"
#include "client/request_factory.hpp"
#include "net/flow.hpp"
#include "sip/header_id.hpp"

namespace osprey::app {

namespace {
constexpr const char* kExitCodes =
    "Exit codes: 0 a 2xx final response; 1 another final response (status and reason printed); 2 bad "
    "command line or URI; 3 no final response: timeout (Timer F = 64*T1 = 32 s, or --timeout) or server "
    "unreachable (a TLS server whose certificate does not verify too).";
}  // namespace

void add_client_options(CLI::App* command, ClientToolOptions& options) {
  command->add_option("--server", options.server,
                      "Send to host[:port] (an outbound proxy) instead of the Request-URI's host");
  command
      ->add_option("--transport", options.transport,
                   "udp, tcp, tls, ws or wss (default: what the URI says, else udp)")
      ->check(CLI::IsMember({"udp", "tcp", "tls", "ws", "wss", "UDP", "TCP", "TLS", "WS", "WSS"}));
  command
      ->add_option("--timeout", options.timeout_seconds,
                   "Give up after this many seconds without a final response (default: Timer F, 32 s)")
      ->check(CLI::NonNegativeNumber);
  // Not checked as an existing file here: the TLS context loads it and names the problem.
  command->add_option(
      "--ca-file", options.ca_file,
      "PEM file of the CAs a TLS server's certificate must chain to (default: the system store)");
  command->add_option("--dns-server", options.dns_servers,
                      "Resolve names (RFC 3263: NAPTR, SRV, A/AAAA) with this DNS server, IP[:port] or "
                      "[IPv6]:port, instead of the system's; may be repeated");
  command->footer(kExitCodes);
}

tl::expected<client::ClientSettings, std::string> client_settings_of(const ClientToolOptions& options) {
  client::ClientSettings settings;
  settings.server = options.server;
  settings.ca_file = options.ca_file;
  if (!options.transport.empty()) {
    settings.transport = client::protocol_named(options.transport);
    if (!settings.transport) return tl::unexpected("unknown transport: " + options.transport);
  }
  for (const std::string& text : options.dns_servers) {
    auto server = parse_dns_server(text);
    if (!server) return tl::unexpected("--dns-server " + server.error());
    settings.dns.servers.push_back(*server);
  }
  if (!(options.timeout_seconds >= 0)) return tl::unexpected(std::string("--timeout must not be negative"));
  settings.timeout =
      std::chrono::milliseconds(static_cast<long long>(std::llround(options.timeout_seconds * 1000)));
  return settings;
}

int report_outcome(const client::Outcome& outcome, Streams& streams) {
  if (outcome.response) {
    streams.out << client::describe(outcome) << '\n';
  } else {
    streams.err << client::describe(outcome) << '\n';
  }
  return client::exit_code_of(outcome);
}

int run_options(const std::string& uri, const ClientToolOptions& options, Streams& streams) {
  auto settings = client_settings_of(options);
  if (!settings) {
    streams.err << settings.error() << '\n';
    return client::kExitBadUsage;
  }
  const client::RequestIds ids = client::fresh_ids();
  const client::Outcome outcome =
      client::send_request(uri, *settings, [&](const net::Endpoint& local, net::Protocol) {
        return client::build_options(ids, uri, "sip:osprey@" + net::host_text(local.address));
      });
  const int code = report_outcome(outcome, streams);
  if (outcome.response) {
    for (sip::HeaderId id : {sip::HeaderId::allow, sip::HeaderId::supported}) {
      std::string values;
      outcome.response->for_each_line(id, [&](std::string_view value) {
        if (!values.empty()) values += ", ";
        values += value;
        return true;
      });
      streams.out << sip::canonical_name(id) << ": " << values << '\n';
    }
  }
  return code;
}

void register_options(CLI::App& app, Action& action) {
  CLI::App* command = app.add_subcommand("options", "Send OPTIONS and print the status, Allow and Supported");
  auto uri = std::make_shared<std::string>();
  auto options = std::make_shared<ClientToolOptions>();
  command->add_option("uri", *uri, "sip:host[:port] to ask")->required();
  add_client_options(command, *options);
  command->callback([uri, options, &action] {
    action = [uri, options](Streams& streams) { return run_options(*uri, *options, streams); };
  });
}

}  // namespace osprey::app
