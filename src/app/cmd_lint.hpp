#pragma once
// `osprey lint [FILE] [--json]`: reads one SIP message (a file, or stdin for "-" or no file) and
// prints its parsed structure or its defect with the status a server would answer. Exit 0 for a
// valid message, 1 for an invalid one, 2 for usage errors (an unreadable file included).

#include <string>

#include <CLI/App.hpp>

#include "app/command.hpp"

namespace osprey::app {

struct LintOptions {
  std::string file = "-";
  bool json = false;
  bool stream = false;  // frame as on TCP/TLS: Content-Length required and exact
  bool uas = false;     // judge as a UAS (Require) instead of a proxy (Proxy-Require, Max-Forwards)
};

int run_lint(const LintOptions& options, std::istream& in, Streams& streams);

void register_lint(CLI::App& app, Action& action);

}  // namespace osprey::app
