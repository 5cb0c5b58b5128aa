#include "app/cmd_register.hpp"

#include <memory>

#include "client/request_factory.hpp"
#include "sip/contact.hpp"
#include "sip/numeric_headers.hpp"

namespace osprey::app {

namespace {

// RFC 3261 §10.2.4: the 200 lists every current binding of the AOR, each with its expires
// parameter, else the Expires header's value.
void print_bindings(const sip::Message& response, Streams& streams) {
  auto list = sip::contacts(response);
  if (!list) {
    streams.err << "unreadable Contact in the response: " << list.error().reason << '\n';
    return;
  }
  if (list->contacts.empty()) {
    streams.out << "no bindings\n";
    return;
  }
  const std::optional<std::string_view> expires_header = response.first_value(sip::HeaderId::expires);
  for (const sip::Contact& contact : list->contacts) {
    streams.out << "binding: <" << contact.address.uri.text << ">";
    if (contact.expires) {
      streams.out << " expires=" << *contact.expires;
    } else if (expires_header) {
      streams.out << " expires=" << *expires_header;
    }
    streams.out << '\n';
  }
}

}  // namespace

int run_register(const RegisterOptions& options, Streams& streams) {
  auto settings = client_settings_of(options.client);
  if (!settings) {
    streams.err << settings.error() << '\n';
    return client::kExitBadUsage;
  }
  auto account = account_of(options.account, options.aor);
  if (!account) {
    streams.err << account.error() << '\n';
    return client::kExitBadUsage;
  }
  settings->account = std::move(*account);
  const client::RequestIds ids = client::fresh_ids();
  const std::uint32_t expires = options.expires;
  const client::Outcome outcome =
      client::send_request(options.aor, *settings, [&](const net::Endpoint& local, net::Protocol protocol) {
        // Every run has a new ephemeral port, so the contact of an earlier run cannot be named
        // again: unregistering removes every binding of the AOR (§10.2.2, "Contact: *").
        return client::build_register(ids, options.aor,
                                      expires == 0 ? "*" : client::contact_uri(local, protocol, options.aor),
                                      expires);
      });
  const int code = report_outcome(outcome, streams);
  report_challenge_note(outcome, streams);
  if (outcome.response && code == client::kExitSuccess) print_bindings(*outcome.response, streams);
  return code;
}

void register_register(CLI::App& app, Action& action) {
  CLI::App* command = app.add_subcommand("register", "Register a contact for an address-of-record");
  auto options = std::make_shared<RegisterOptions>();
  command->add_option("aor", options->aor, "The address-of-record, sip:user@domain")->required();
  command
      ->add_option("--expires", options->expires,
                   "Seconds the binding lasts; 0 removes every binding of the AOR (Contact: *)")
      ->capture_default_str();
  add_auth_options(command, options->account);
  add_client_options(command, options->client);
  command->callback([options, &action] {
    action = [options](Streams& streams) { return run_register(*options, streams); };
  });
}

}  // namespace osprey::app
