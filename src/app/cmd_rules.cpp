#include "app/cmd_rules.hpp"

#include <algorithm>
#include <iostream>
#include <iterator>
#include <memory>

#include "app/config.hpp"
#include "sbc/header_rules.hpp"
#include "sip/message.hpp"

namespace osprey::app {

namespace {

// A message typed in an editor has LF line ends; SIP wants CRLF (RFC 3261 §7). Input with no
// CRLF at all is taken as such a file and converted; anything else is read as it is.
std::string with_crlf(std::string text) {
  if (text.find("\r\n") != std::string::npos) return text;
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

std::string trunk_names(const Config& config) {
  std::string names;
  for (const sbc::Trunk& trunk : config.trunks) names += (names.empty() ? "" : ", ") + trunk.name;
  return names.empty() ? "none" : names;
}

int apply_and_print(const std::shared_ptr<const sbc::HeaderRules>& rules, const RulesTestOptions& options,
                    std::istream& in, Streams& streams) {
  std::string bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>{});
  auto message = sip::Message::parse(with_crlf(std::move(bytes)));
  if (!message) {
    streams.err << "the message does not parse: " << message.error().reason << '\n';
    return kExitFailure;
  }
  if (!rules) {
    streams.err << "trunk '" << options.trunk << "' has no "
                << (options.direction == "out" ? "rules_out" : "rules_in") << ": the message is unchanged\n";
  } else if (auto applied = rules->apply(*message); !applied) {
    streams.err << "the rules refuse the message: " << applied.error() << '\n';
    return kExitFailure;
  }
  streams.out << message->serialize();
  return kExitOk;
}

}  // namespace

int run_rules_test(const RulesTestOptions& options, std::istream& in, Streams& streams) {
  const auto config = load_config(options.config_file);
  if (!config) {
    streams.err << to_string(config.error()) << '\n';
    return kExitFailure;
  }
  const auto trunk = std::find_if(config->trunks.begin(), config->trunks.end(),
                                  [&](const sbc::Trunk& t) { return t.name == options.trunk; });
  if (trunk == config->trunks.end()) {
    streams.err << options.config_file << ": no trunk named '" << options.trunk
                << "' (trunks: " << trunk_names(*config) << ")\n";
    return kExitFailure;
  }
  return apply_and_print(options.direction == "out" ? trunk->rules_out : trunk->rules_in, options, in,
                         streams);
}

void register_rules(CLI::App& app, Action& action) {
  CLI::App* rules = app.add_subcommand("rules", "Work with SBC header rules");
  rules->require_subcommand(1);
  CLI::App* test =
      rules->add_subcommand("test", "Print a SIP message (read from stdin) after a trunk's header rules");
  auto options = std::make_shared<RulesTestOptions>();
  test->add_option("--trunk", options->trunk, "The trunk whose rules apply")->required();
  test->add_option("--direction", options->direction, "out: the rules toward the trunk; in: from it")
      ->check(CLI::IsMember({"in", "out"}))
      ->capture_default_str();
  test->add_option("-c,--config", options->config_file, "The TOML configuration file")->capture_default_str();
  test->callback([options, &action] {
    action = [options](Streams& streams) { return run_rules_test(*options, std::cin, streams); };
  });
}

}  // namespace osprey::app
