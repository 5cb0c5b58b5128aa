#include "app/cmd_ban.hpp"

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/ip/address.hpp>

#include "app/data_place.hpp"
#include "store/sqlite_ban_store.hpp"

namespace osprey::app {
namespace {

using Failure = tl::unexpected<std::string>;

// The longest ban `osprey ban add` accepts: ten years, far from any overflow of the seconds.
constexpr std::int64_t kMaxMinutes = 10LL * 365 * 24 * 60;

// The text the server looks a source address up by: boost's to_string(), with an IPv4-mapped
// IPv6 address (::ffff:192.0.2.1, what a dual-stack socket reports) as its IPv4 address, since
// the server records the IPv4 text for such peers.
tl::expected<std::string, std::string> canonical_address(const std::string& text) {
  boost::system::error_code failed;
  const auto address = boost::asio::ip::make_address(text, failed);
  if (failed) return Failure("'" + text + "': not an IPv4 or IPv6 address");
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// "2024-05-01T12:00:00Z" (ISO 8601, UTC).
std::string utc_text(std::int64_t seconds) {
  const auto time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  if (gmtime_r(&time, &utc) == nullptr) return std::to_string(seconds);
  char text[64];
  const std::size_t size = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(text, size);
}

// Whole minutes left, rounded up: a ban with 30 seconds to go still shows as 1 minute.
std::int64_t minutes_left(const store::BanRecord& ban, std::int64_t now) {
  return (ban.until - now + 59) / 60;
}

std::string list_text(const store::BanStore& bans, std::int64_t now) {
  const auto live = bans.list(now);
  if (live.empty()) return "no bans";
  std::string out;
  for (const store::BanRecord& ban : live) {
    out += ban.address + "  until " + utc_text(ban.until) + "  " + std::to_string(minutes_left(ban, now)) +
           " min left  " + std::to_string(ban.offences) + (ban.offences == 1 ? " offence  " : " offences  ") +
           ban.reason + '\n';
  }
  out.pop_back();
  return out;
}

tl::expected<std::string, std::string> add_ban(const BanCommand& command, const std::string& address,
                                               store::BanStore& bans, std::int64_t now) {
  store::BanRecord ban{address, now, now + command.minutes * 60, 1, command.reason};
  // Banning an address again keeps its count of offences, which the server escalates by.
  for (const store::BanRecord& live : bans.list(now)) {
    if (live.address == address) ban.offences = live.offences;
  }
  if (auto stored = bans.put(ban); !stored) return Failure(stored.error());
  return address + ": banned until " + utc_text(ban.until) + " (" + std::to_string(command.minutes) + " min)";
}

tl::expected<std::string, std::string> lift_ban(const std::string& address, store::BanStore& bans,
                                                std::int64_t now) {
  bool live = false;
  for (const store::BanRecord& ban : bans.list(now)) live = live || ban.address == address;
  // An expired record is removed too, but it was no ban to lift.
  const auto removed = bans.remove(address);
  if (!removed) return Failure(removed.error());
  if (!*removed || !live) return Failure(address + ": not banned");
  return address + ": ban lifted";
}

// Runs the action; returns what to print on success.
tl::expected<std::string, std::string> run_action(const BanCommand& command, const std::string& address,
                                                  store::BanStore& bans, std::int64_t now) {
  switch (command.action) {
    case BanAction::list: return list_text(bans, now);
    case BanAction::add: return add_ban(command, address, bans, now);
    case BanAction::del: return lift_ban(address, bans, now);
  }
  return Failure("unknown action");
}

}  // namespace

int run_ban(const BanCommand& command, Streams& streams, std::int64_t now) {
  const auto place = find_data_place("ban", command.config_file, command.data_dir, streams);
  if (!place) return place.error();
  std::string address;
  if (command.action != BanAction::list) {
    auto canonical = canonical_address(command.address);
    if (!canonical) {
      streams.err << canonical.error() << '\n';
      return kExitUsage;
    }
    address = std::move(*canonical);
  }
  auto bans = store::open_ban_store(place->data_dir);
  if (!bans) {
    streams.err << bans.error() << '\n';
    return kExitFailure;
  }
  const auto done = run_action(command, address, **bans, now);
  if (!done) {
    streams.err << done.error() << '\n';
    return kExitFailure;
  }
  streams.out << *done << '\n';
  return kExitOk;
}

void register_ban(CLI::App& app, Action& action) {
  CLI::App* ban = app.add_subcommand("ban", "Manage the addresses the server refuses");
  ban->require_subcommand(1);
  struct Verb {
    const char* name;
    BanAction action;
    const char* description;
  };
  const Verb verbs[] = {
      {"list", BanAction::list, "Print every live ban: address, until (UTC), minutes left, offences, reason"},
      {"add", BanAction::add, "Ban an address: osprey ban add 192.0.2.7 --minutes 60 --reason scanner"},
      {"del", BanAction::del, "Lift the ban of an address, including one the server made"},
  };
  for (const Verb& verb : verbs) {
    CLI::App* command = ban->add_subcommand(verb.name, verb.description);
    auto options = std::make_shared<BanCommand>();
    options->action = verb.action;
    if (verb.action != BanAction::list) {
      command->add_option("address", options->address, "An IPv4 or IPv6 address")->required();
    }
    if (verb.action == BanAction::add) {
      command->add_option("--minutes", options->minutes, "How long the ban lasts")
          ->capture_default_str()
          ->check(CLI::Range(std::int64_t{1}, kMaxMinutes));
      command->add_option("--reason", options->reason, "Why, as `ban list` shows it")->capture_default_str();
    }
    add_data_place_options(*command, options->config_file, options->data_dir, "its data_dir",
                           store::SqliteBanStore::kFileName);
    command->callback([options, &action] {
      action = [options](Streams& streams) {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        return run_ban(*options, streams, std::chrono::duration_cast<std::chrono::seconds>(now).count());
      };
    });
  }
}

}  // namespace osprey::app
