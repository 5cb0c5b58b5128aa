#include "app/cmd_message.hpp"

#include <iostream>
#include <iterator>
#include <memory>

#include "client/request_factory.hpp"
#include "sip/uri.hpp"

namespace osprey::app {

int run_message(const MessageOptions& options, std::istream& input, Streams& streams) {
  auto settings = client_settings_of(options.client);
  if (!settings) {
    streams.err << settings.error() << '\n';
    return client::kExitBadUsage;
  }
  if (auto from = sip::parse_uri(options.from); !from || !from->is_sip()) {
    streams.err << "not a SIP URI: " << options.from << '\n';
    return client::kExitBadUsage;
  }
  auto account = account_of(options.account, options.from);
  if (!account) {
    streams.err << account.error() << '\n';
    return client::kExitBadUsage;
  }
  settings->account = std::move(*account);
  std::string text = options.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>());
  const client::RequestIds ids = client::fresh_ids();
  const client::Outcome outcome =
      client::send_request(options.target, *settings, [&](const net::Endpoint&, net::Protocol) {
        return client::build_message(ids, options.target, options.from, text);
      });
  const int code = report_outcome(outcome, streams);
  report_challenge_note(outcome, streams);
  return code;
}

void register_message(CLI::App& app, Action& action) {
  CLI::App* command = app.add_subcommand("message", "Send one MESSAGE and print the final status");
  auto options = std::make_shared<MessageOptions>();
  command->add_option("target", options->target, "The recipient, sip:user@domain")->required();
  command->add_option("text", options->text, "The text, or - to read it from stdin")->required();
  command->add_option("--from", options->from, "The sender, sip:user@domain")->required();
  add_auth_options(command, options->account);
  add_client_options(command, options->client);
  command->callback([options, &action] {
    action = [options](Streams& streams) { return run_message(*options, std::cin, streams); };
  });
}

}  // namespace osprey::app
