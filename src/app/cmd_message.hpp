#pragma once
// `osprey message sip:bob@example.com "text" --from sip:alice@example.com --server host:port`:
// sends one MESSAGE (RFC 3428) and prints the final status; the text is read from stdin
// when it is `-`. A 401/407 is answered with Digest credentials when a password is given
// (auth_options.hpp).

#include <istream>
#include <string>

#include <CLI/App.hpp>

#include "app/auth_options.hpp"
#include "app/cmd_options.hpp"
#include "app/command.hpp"

namespace osprey::app {

struct MessageOptions {
  std::string target;
  std::string text;
  std::string from;
  client::DigestAccountSources account;
  ClientToolOptions client;
};

// `input` is read for the text when options.text is "-".
int run_message(const MessageOptions& options, std::istream& input, Streams& streams);

void register_message(CLI::App& app, Action& action);

}  // namespace osprey::app
