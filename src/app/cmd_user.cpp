#include "app/cmd_user.hpp"

#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "app/data_place.hpp"
#include "app/password_input.hpp"
#include "security/digest_hash.hpp"
#include "sip/aor.hpp"
#include "sip/uri.hpp"
#include "store/sqlite_user_store.hpp"

namespace osprey::app {
namespace {

using Failure = tl::unexpected<std::string>;

// "alice@example.com" as typed on a command line means sip:alice@example.com. Text that already
// parses as a URI keeps its scheme, so "tel:+1555" is refused as such rather than misread.
std::string with_scheme(std::string_view aor) {
  if (sip::parse_uri(aor)) return std::string(aor);
  return "sip:" + std::string(aor);
}

// The account an AOR typed by the operator names, refused outside the config's domains (when a
// config is given) for the actions that create accounts.
tl::expected<store::AccountName, std::string> account_to_create(std::string_view aor,
                                                                const DataPlace& place) {
  auto name = store::parse_account_name(with_scheme(aor));
  if (!name) return name;
  if (!place.config_file.empty() && !sip::served_domain(name->realm, place.domains)) {
    return Failure(name->aor + ": " + name->realm + " is not one of the domains in " + place.config_file);
  }
  return name;
}

// HA1 for every algorithm the server offers (RFC 8760: SHA-256, and MD5 for older clients).
// The password goes no further than this function.
tl::expected<store::Ha1Set, std::string> ha1_set(const store::AccountName& name, std::string_view password) {
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
tl::expected<std::string, std::string> store_credentials(const UserCommand& command, const DataPlace& place,
                                                         store::UserStore& users, Streams& streams,
                                                         std::istream& in) {
  const auto name = command.action == UserAction::add ? account_to_create(command.aor, place)
                                                      : store::parse_account_name(with_scheme(command.aor));
  if (!name) return Failure(name.error());
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
tl::expected<std::string, std::string> run_action(const UserCommand& command, const DataPlace& place,
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
    case UserAction::import_accounts: break;  // run_import: it reads its input before opening
  }
  return Failure("unknown action");
}

using ImportedAccounts = std::vector<std::pair<std::string, store::Ha1Set>>;

// Reads `osprey user import` input: "AOR PASSWORD" per line, the password being everything after
// the first space (it may contain spaces); blank lines and lines starting with '#' skipped, a
// trailing CR dropped. The first refused line stops it, named by its number and never by its
// password. An AOR given twice (in any spelling that canonicalises alike) is refused at its
// second line, naming the first: which password was meant cannot be guessed.
tl::expected<ImportedAccounts, std::string> read_accounts(std::istream& in, const DataPlace& place) {
  ImportedAccounts accounts;
  std::unordered_map<std::string, std::size_t> line_of;  // canonical AOR -> its line
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line.front() == '#') continue;
    const auto refused = [number](const std::string& why) {
      return Failure("line " + std::to_string(number) + ": " + why);
    };
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || space == 0) return refused("expected 'AOR PASSWORD'");
    const auto name = account_to_create(std::string_view(line).substr(0, space), place);
    if (!name) return refused(name.error());
    if (auto [first, added] = line_of.try_emplace(name->aor, number); !added) {
      return refused(name->aor + ": given already on line " + std::to_string(first->second));
    }
    const std::string_view password = std::string_view(line).substr(space + 1);
    if (password.empty()) return refused("the password is empty");
    auto ha1 = ha1_set(*name, password);
    if (!ha1) return refused(ha1.error());
    accounts.emplace_back(name->aor, std::move(*ha1));
  }
  if (in.bad()) return Failure("cannot read the accounts from standard input");
  return accounts;
}

// Every line is checked and hashed before users.db is opened: a refused line leaves no trace.
int run_import(const DataPlace& place, Streams& streams, std::istream& in) {
  const auto accounts = read_accounts(in, place);
  if (!accounts) {
    streams.err << accounts.error() << '\n';
    return kExitUsage;
  }
  auto users = store::open_user_store(place.data_dir);
  if (!users) {
    streams.err << users.error() << '\n';
    return kExitFailure;
  }
  // Accounts that exist already get the new password (documented), and are named, so that an
  // import overlapping the accounts by mistake does not pass unnoticed.
  std::vector<std::string> existing;
  for (const auto& [aor, ha1] : *accounts)
    if ((*users)->has_aor(aor)) existing.push_back(aor);
  if (auto added = (*users)->add_many(*accounts); !added) {
    streams.err << added.error() << '\n';
    return kExitFailure;
  }
  streams.out << "imported " << accounts->size() << (accounts->size() == 1 ? " account\n" : " accounts\n");
  if (!existing.empty()) {
    constexpr std::size_t kNamed = 10;
    streams.out << existing.size() << " of them existed already, password replaced:";
    for (std::size_t i = 0; i < existing.size() && i < kNamed; ++i) streams.out << ' ' << existing[i];
    if (existing.size() > kNamed) streams.out << " and " << existing.size() - kNamed << " more";
    streams.out << '\n';
  }
  return kExitOk;
}

}  // namespace

int run_user(const UserCommand& command, Streams& streams, std::istream& in) {
  const auto place = find_data_place("user", command.config_file, command.data_dir, streams);
  if (!place) return place.error();
  if (command.action == UserAction::import_accounts) return run_import(*place, streams, in);
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
      {"import", UserAction::import_accounts,
       "Add accounts from standard input, one 'AOR PASSWORD' line each (the password is the rest of "
       "the line; blank lines and # comments skipped). An AOR that exists already gets the new "
       "password, and is named in the output; an AOR given twice is refused. All in one transaction: "
       "a refused line (exit 2, its number named) imports nothing"},
  };
  for (const Verb& verb : verbs) {
    CLI::App* command = user->add_subcommand(verb.name, verb.description);
    auto options = std::make_shared<UserCommand>();
    options->action = verb.action;
    if (verb.action != UserAction::list && verb.action != UserAction::import_accounts) {
      command
          ->add_option("aor", options->aor, "The account's AOR, alice@example.com or sip:alice@example.com")
          ->required();
    }
    if (verb.action == UserAction::add || verb.action == UserAction::passwd) {
      // Visible in `ps` and shell history: for scripts and tests; people type it at the prompt.
      command->add_option("--password", options->password,
                          "The password; without it, one line is read from standard input");
    }
    add_data_place_options(*command, options->config_file, options->data_dir, "its data_dir and domains",
                           store::SqliteUserStore::kFileName);
    command->callback([options, &action] {
      action = [options](Streams& streams) { return run_user(*options, streams, std::cin); };
    });
  }
}

}  // namespace osprey::app
