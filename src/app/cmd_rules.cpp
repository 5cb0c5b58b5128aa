#include "app/cmd_rules.hpp"

#include <algorithm>
#include <iostream>
#include <iterator>
#include <memory>

#include "app/config.hpp"
#include "app/header_rules_config.hpp"
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

// A config whose [[trunk]] reader does not know rules_in/rules_out yet refuses them as unknown
// keys; the rules are then read here from the trunk's table, with the same reader
// (read_header_rules) and the same line-precise errors. Once the trunk reader reads them, this
// path is never taken.
bool refused_rules_key(const ConfigError& error) {
  const auto ends_with = [&](std::string_view suffix) {
    return error.key.size() >= suffix.size() &&
           error.key.compare(error.key.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return (ends_with(".rules_in") || ends_with(".rules_out")) && error.message.rfind("unknown key", 0) == 0;
}

// The trunk's rules for the direction read from the file itself: ok (rules, possibly null), or
// the message to print.
tl::expected<std::shared_ptr<const sbc::HeaderRules>, std::string> rules_from_file(
    const RulesTestOptions& options) {
  toml::table document;
  try {
    document = toml::parse_file(options.config_file);
  } catch (const toml::parse_error& error) {
    return tl::unexpected(options.config_file + ": " + std::string(error.description()));
  }
  const toml::array* trunks = document["trunk"].as_array();
  std::string names;
  for (std::size_t i = 0; trunks != nullptr && i < trunks->size(); ++i) {
    const toml::table* trunk = trunks->get(i)->as_table();
    if (trunk == nullptr) continue;
    const std::string name =
        trunk->get_as<std::string>("name") ? trunk->get_as<std::string>("name")->get() : "";
    names += (names.empty() ? "" : ", ") + name;
    if (name != options.trunk) continue;
    const std::string key = options.direction == "out" ? "rules_out" : "rules_in";
    const toml::array* rules = trunk->get_as<toml::array>(key);
    if (rules == nullptr) return std::shared_ptr<const sbc::HeaderRules>();
    ReadState state;
    state.file = options.config_file;
    auto read = read_header_rules(state, *rules, "trunk[" + std::to_string(i) + "]." + key);
    if (state.first_error) return tl::unexpected(to_string(*state.first_error));
    return read;
  }
  return tl::unexpected(options.config_file + ": no trunk named '" + options.trunk +
                        "' (trunks: " + (names.empty() ? "none" : names) + ")");
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
    if (refused_rules_key(config.error())) {
      auto rules = rules_from_file(options);
      if (!rules) {
        streams.err << rules.error() << '\n';
        return kExitFailure;
      }
      return apply_and_print(*rules, options, in, streams);
    }
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
