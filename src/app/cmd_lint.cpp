#include "app/cmd_lint.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "app/lint_report.hpp"

namespace osprey::app {

int run_lint(const LintOptions& options, std::istream& in, Streams& streams) {
  std::string bytes;
  if (options.file == "-") {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    std::ifstream file(options.file, std::ios::binary);
    if (!file) {
      streams.err << "osprey lint: cannot read " << options.file << '\n';
      return kExitUsage;
    }
    bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  sip::ParseOptions parse;
  parse.stream = options.stream;
  sip::RequestCheckOptions check;
  check.role = options.uas ? sip::Role::uas : sip::Role::proxy;
  sip::Assessment a = sip::assess(std::move(bytes), parse, check);
  if (options.json) {
    streams.out << lint_json(a).dump() << '\n';
  } else {
    streams.out << lint_text(a);
  }
  return a.valid() ? kExitOk : kExitFailure;
}

void register_lint(CLI::App& app, Action& action) {
  CLI::App* command =
      app.add_subcommand("lint", "Parse a SIP message and report its structure or its defect");
  auto options = std::make_shared<LintOptions>();
  command->add_option("file", options->file, "File holding one SIP message; '-' or none reads stdin");
  command->add_flag("--json", options->json, "Print one JSON object");
  command->add_flag("--stream", options->stream, "Frame as on a stream transport (TCP/TLS)");
  command->add_flag("--uas", options->uas, "Judge as a user agent server instead of a proxy");
  command->callback([options, &action] {
    action = [options](Streams& streams) { return run_lint(*options, std::cin, streams); };
  });
}

}  // namespace osprey::app
