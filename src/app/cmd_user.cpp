#include "app/cmd_user.hpp"

#include <iostream>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "app/config.hpp"
#include "app/password_input.hpp"
#include "registrar/aor.hpp"
#include "security/digest_hash.hpp"
#include "sip/uri.hpp"
#include "store/sqlite_user_store.hpp"

namespace osprey::app {
namespace {

using Failure = tl::unexpected<std::string>;

// Where the accounts live, and which domains an account may be added in (empty: any).
struct Place {
  std::string data_dir;
  std::vector<std::string> domains;
  std::string config_file;
};

tl::expected<Place, std::string> place_of(const UserCommand& command) {
  Place place{command.data_dir, {}, command.config_file};
  if (command.config_file.empty()) return place;
  auto config = load_config(command.config_file);
  if (!config) return Failure(to_string(config.error()));
  if (place.data_dir.empty()) place.data_dir = config->data_dir;
  place.domains = std::move(config->domains);
  return place;
}

// "alice@example.com" as typed on a command line means sip:alice@example.com. Text that already
// parses as a URI keeps its scheme, so "tel:+1555" is refused as such rather than misread.
std::string with_scheme(const std::string& aor) {
  if (sip::parse_uri(aor)) return aor;
  return "sip:" + aor;
}

// HA1 for every algorithm the server offers (RFC 8760: SHA-256, and MD5 for older clients).
// The password goes no further than this function.
tl::expected<store::Ha1Set, std::string> ha1_set(const store::AccountName& name,
                                                 const std::string& password) {
  auto md5 = security::digest_ha1(sip::DigestAlgorithm::md5, name.user, name.realm, password);
  if (!md5) return Failure(md5.error());
  auto sha256 = security::digest_ha1(sip::DigestAlgorithm::sha256, name.user, name.realm, password);
  if (!sha256) return Failure(sha256.error());
  return store::Ha1Set{std::move(*md5), std::move(*sha256)};
}

tl::expected<std::string, std::string> password_of(const UserCommand& command, Streams& streams,
                                                   std::istream& in) {
  if (!command.password) return read_password(in, streams.err, "Password: ");
  if (command.password->empty()) return Failure("the password is empty");
  return *command.password;
}

// add and passwd: check the AOR, get the password, hash it, store the HA1 values.
tl::expected<std::string, std::string> store_credentials(const UserCommand& command, const Place& place,
                                                         store::UserStore& users, Streams& streams,
                                                         std::istream& in) {
  const auto name = store::parse_account_name(with_scheme(command.aor));
  if (!name) return Failure(name.error());
  if (command.action == UserAction::add && !place.config_file.empty() &&
      !registrar::served_domain(name->realm, place.domains)) {
    return Failure(name->aor + ": " + name->realm + " is not one of the domains in " + place.config_file);
  }
  const auto password = password_of(command, streams, in);
  if (!password) return Failure(password.error());
  const auto ha1 = ha1_set(*name, *password);
  if (!ha1) return Failure(ha1.error());
  const auto stored =
      command.action == UserAction::add ? users.add(name->aor, *ha1) : users.set_credentials(name->aor, *ha1);
  if (!stored) return Failure(stored.error());
  return name->aor + (command.action == UserAction::add ? ": added" : ": password changed");
}

// Runs the action; returns what to print on success.
tl::expected<std::string, std::string> run_action(const UserCommand& command, const Place& place,
                                                  store::UserStore& users, Streams& streams,
                                                  std::istream& in) {
  switch (command.action) {
    case UserAction::add:
    case UserAction::passwd: return store_credentials(command, place, users, streams, in);
    case UserAction::del: {
      const auto name = store::parse_account_name(with_scheme(command.aor));
      if (!name) return Failure(name.error());
      if (auto removed = users.remove(name->aor); !removed) return Failure(removed.error());
      return name->aor + ": removed";
    }
    case UserAction::list: {
      const auto accounts = users.list();
      if (!accounts) return Failure(accounts.error());
      std::string out;
      for (const store::Account& account : *accounts) out += account.aor + '\n';
      if (!out.empty()) out.pop_back();
      return out;
    }
  }
  return Failure("unknown action");
}

}  // namespace

int run_user(const UserCommand& command, Streams& streams, std::istream& in) {
  if (command.config_file.empty() && command.data_dir.empty()) {
    streams.err << "osprey user: give --config FILE or --data-dir DIR\n";
    return kExitUsage;
  }
  const auto place = place_of(command);
  if (!place) {
    streams.err << place.error() << '\n';
    return kExitFailure;
  }
  auto users = store::open_user_store(place->data_dir);
  if (!users) {
    streams.err << users.error() << '\n';
    return kExitFailure;
  }
  const auto done = run_action(command, *place, **users, streams, in);
  if (!done) {
    streams.err << done.error() << '\n';
    return kExitFailure;
  }
  if (!done->empty()) streams.out << *done << '\n';
  return kExitOk;
}

void register_user(CLI::App& app, Action& action) {
  CLI::App* user = app.add_subcommand("user", "Manage the accounts digest authentication checks");
  user->require_subcommand(1);
  struct Verb {
    const char* name;
    UserAction action;
    const char* description;
  };
  const Verb verbs[] = {
      {"add", UserAction::add, "Add an account: osprey user add alice@example.com"},
      {"del", UserAction::del, "Remove an account"},
      {"passwd", UserAction::passwd, "Change an account's password"},
      {"list", UserAction::list, "Print every account's AOR, one per line"},
  };
  for (const Verb& verb : verbs) {
    CLI::App* command = user->add_subcommand(verb.name, verb.description);
    auto options = std::make_shared<UserCommand>();
    options->action = verb.action;
    if (verb.action != UserAction::list) {
      command
          ->add_option("aor", options->aor, "The account's AOR, alice@example.com or sip:alice@example.com")
          ->required();
    }
    if (verb.action == UserAction::add || verb.action == UserAction::passwd) {
      // Visible in `ps` and shell history: for scripts and tests; people type it at the prompt.
      command->add_option("--password", options->password,
                          "The password; without it, one line is read from standard input");
    }
    command->add_option("-c,--config", options->config_file,
                        "The server's TOML configuration: its data_dir and domains");
    command->add_option("--data-dir", options->data_dir,
                        "Where users.db is (overrides the config's data_dir)");
    command->callback([options, &action] {
      action = [options](Streams& streams) { return run_user(*options, streams, std::cin); };
    });
  }
}

}  // namespace osprey::app
