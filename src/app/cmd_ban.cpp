#include "app/cmd_ban.hpp"

#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/ip/address.hpp>

#include "app/data_place.hpp"
#include "net/unix_clock.hpp"
#include "security/ban_table.hpp"
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
  // A prefix ban the server made ("192.0.2.0/24", "2001:db8::/64"): the same prefix lengths
  // only, the network with no host bits, so that its text is the server's.
  if (const auto slash = text.find('/'); slash != std::string::npos) {
    boost::system::error_code failed;
    const auto network = boost::asio::ip::make_address(text.substr(0, slash), failed);
    if (failed) return Failure("'" + text + "': not an IPv4 or IPv6 prefix");
    const unsigned bits = network.is_v4() ? security::kPrefixBanBitsV4 : security::kPrefixBanBitsV6;
    if (text.substr(slash + 1) != std::to_string(bits)) {
      return Failure("'" + text + "': a prefix ban is a /" + std::to_string(security::kPrefixBanBitsV4) +
                     " (IPv4) or a /" + std::to_string(security::kPrefixBanBitsV6) + " (IPv6)");
    }
    if (network.is_v6() && network.to_v6().is_v4_mapped())
      return Failure("'" + text + "': use the IPv4 form");
    // The network itself: with host bits set it would name no ban the server made.
    if (security::prefix_network(network) != network) return Failure("'" + text + "': host bits set");
    return security::ban_key_text(security::Ban{network, 0, 0, 1, {}, true});
  }
  boost::system::error_code failed;
  const auto address = boost::asio::ip::make_address(text, failed);
  if (failed) return Failure("'" + text + "': not an IPv4 or IPv6 address");
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// A C0 control, DEL, or a C1 control in UTF-8 (U+0080..U+009F: 0xC2 0x80..0x9F): what a
// terminal may take as a command (ESC sequences, CSI) when `ban list` or a log shows the reason.
bool control_at(std::string_view text, std::size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x20 || c == 0x7f) return true;
  return c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
         static_cast<unsigned char>(text[i + 1]) <= 0x9f;
}

bool has_control(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (control_at(text, i)) return true;
  }
  return false;
}

// A reason from the file, which the sqlite3 shell or an older osprey may have written: each
// control character shown as '?'.
std::string printable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!control_at(text, i)) {
      out += text[i];
      continue;
    }
    out += '?';
    if (static_cast<unsigned char>(text[i]) == 0xc2) ++i;  // both bytes of a C1 control
  }
  return out;
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

tl::expected<std::string, std::string> list_text(store::BanStore& bans, std::int64_t now) {
  const auto live = bans.list(now);
  if (!live) return Failure(live.error());
  if (live->empty()) return "no bans";
  std::string out;
  for (const store::BanRecord& ban : *live) {
    out += printable(ban.address) + "  until " + utc_text(ban.until) + "  " +
           std::to_string(minutes_left(ban, now)) + " min left  " + std::to_string(ban.offences) +
           (ban.offences == 1 ? " offence  " : " offences  ") + printable(ban.reason) + '\n';
  }
  out.pop_back();
  return out;
}

tl::expected<std::string, std::string> add_ban(const BanCommand& command, const std::string& address,
                                               store::BanStore& bans, std::int64_t now) {
  store::BanRecord ban{address, now, now + command.minutes * 60, 1, command.reason};
  // Banning an address again keeps its count of offences, which the server escalates by.
  const auto live = bans.list(now);
  if (!live) return Failure(live.error());
  for (const store::BanRecord& record : *live) {
    if (record.address == address) ban.offences = record.offences;
  }
  if (auto stored = bans.put(ban); !stored) return Failure(stored.error());
  return address + ": banned until " + utc_text(ban.until) + " (" + std::to_string(command.minutes) + " min)";
}

tl::expected<std::string, std::string> lift_ban(const std::string& address, store::BanStore& bans,
                                                std::int64_t now) {
  const auto records = bans.list(now);
  if (!records) return Failure(records.error());
  bool live = false;
  for (const store::BanRecord& ban : *records) live = live || ban.address == address;
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
  // The reason is shown on administrators' terminals and in logs: control characters there
  // could rewrite what they see (ANSI escape sequences) or forge log lines (newlines).
  if (has_control(command.reason)) {
    streams.err << "--reason: control characters are not allowed\n";
    return kExitUsage;
  }
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
      command
          ->add_option("address", options->address,
                       "An IPv4 or IPv6 address, or a prefix ban (192.0.2.0/24, 2001:db8::/64)")
          ->required();
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
      action = [options](Streams& streams) { return run_ban(*options, streams, net::unix_seconds()); };
    });
  }
}

}  // namespace osprey::app
