#include "app/cli.hpp"

#include <CLI/CLI.hpp>

#include "app/cmd_ban.hpp"
#include "app/cmd_check_config.hpp"
#include "app/cmd_lint.hpp"
#include "app/cmd_listen.hpp"
#include "app/cmd_message.hpp"
#include "app/cmd_options.hpp"
#include "app/cmd_register.hpp"
#include "app/cmd_rules.hpp"
#include "app/cmd_serve.hpp"
#include "app/cmd_user.hpp"
#include "app/command.hpp"

namespace osprey::app {

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app("osprey: SIP server and toolkit", "osprey");
  app.set_version_flag("--version", "osprey " OSPREY_VERSION);
  // Not require_subcommand(): with it, `osprey bogus` says "a subcommand is required" instead of
  // naming the word it did not expect. No subcommand at all is handled below.

  // Subcommands, one line each; each lives in its own cmd_<name>.cpp with a register_<name>().
  Action action;
  register_serve(app, action);
  register_check_config(app, action);
  register_lint(app, action);
  register_options(app, action);
  register_register(app, action);
  register_message(app, action);
  register_listen(app, action);
  register_user(app, action);
  register_ban(app, action);
  register_rules(app, action);

  // CLI11 reports parse errors, --help and --version by throwing; they end here, at the edge
  // of the process, and become an exit code.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error, out, err);
    return code == static_cast<int>(CLI::ExitCodes::Success) ? kExitOk : kExitUsage;
  }
  if (!action) {
    err << "a subcommand is required\n" << app.help();
    return kExitUsage;
  }
  Streams streams{out, err};
  return action(streams);
}

}  // namespace osprey::app
