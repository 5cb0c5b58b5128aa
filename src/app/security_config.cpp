#include "app/security_config.hpp"
#include "app/trunk_config.hpp"

#include <algorithm>

#include "security/address_set.hpp"
#include "security/dial_policy.hpp"
#include "security/nonce_counts.hpp"
#include "security/scanner_filter.hpp"
#include "sip/aor.hpp"
#include "sip/uri.hpp"

namespace osprey::app {

namespace {

// A list of CIDRs, checked as the server will read it.
void read_networks(Section& section, std::string_view key, std::vector<std::string>& out) {
  std::vector<std::string> networks;
  if (!section.string_array(key, networks)) return;
  if (auto parsed = security::AddressSet::parse(networks); !parsed) {
    section.fail(key, parsed.error());
    return;
  }
  out = std::move(networks);
}

void read_bans(ReadState& state, const toml::table& table, BanConfig& bans) {
  Section section(state, table, "security.bans");
  section.integer<std::uint32_t>("threshold", 1, 1000, bans.threshold);
  section.integer<std::uint32_t>("window", 1, 86400, bans.window);
  section.integer<std::uint32_t>("duration", 1, 30 * 86400, bans.duration);
  section.integer<std::uint32_t>("prefix_threshold", 0, 65536, bans.prefix_threshold);
  read_networks(section, "never_ban", bans.never_ban);
  section.fail_unknown_keys();
}

void read_rate_limit(ReadState& state, const toml::table& table, RateLimitConfig& limit) {
  Section section(state, table, "security.rate_limit");
  section.integer<std::uint32_t>("requests_per_second", 0, 1000000, limit.requests_per_second);
  section.integer<std::uint32_t>("burst", 1, 10000000, limit.burst);
  read_networks(section, "exempt", limit.exempt);
  section.fail_unknown_keys();
}

DialGroupConfig read_group(ReadState& state, const toml::table& table, std::string path) {
  Section section(state, table, std::move(path));
  DialGroupConfig group;
  if (!section.string("name", group.name)) section.fail("name", "is required");
  section.string_array("members", group.members);
  section.string_array("allow", group.allow);
  for (const std::string& member : group.members) {
    auto uri = sip::parse_uri(member, {false});
    if (!uri || !uri->is_sip() || !uri->has_user) {
      section.fail("members", "'" + member + "' is not a sip: AOR like sip:alice@example.com");
      break;
    }
  }
  section.fail_unknown_keys();
  return group;
}

}  // namespace

security::DialPolicyConfig dialplan_policy(const DialplanConfig& dialplan) {
  security::DialPolicyConfig policy;
  if (dialplan.international) policy.international = *dialplan.international;
  policy.deny = dialplan.deny;
  policy.allow_national = dialplan.allow_national;
  for (const DialGroupConfig& group : dialplan.groups) {
    security::DialGroup out{group.name, {}, group.allow};
    for (const std::string& member : group.members) {
      // Members compare with the authenticated account's AOR, which is canonical.
      auto uri = sip::parse_uri(member, {false});
      out.members.push_back(uri ? sip::account_aor(*uri) : member);
    }
    policy.groups.push_back(std::move(out));
  }
  return policy;
}

security::SecuritySettings security_settings(const SecurityConfig& security, const DialplanConfig& dialplan) {
  security::SecuritySettings settings;
  settings.authentication = security.authentication;
  settings.accept_inbound = security.accept_inbound;
  settings.nonce_lifetime = security.nonce_lifetime;
  settings.dialog_token_lifetime = security.dialog_token_lifetime;
  settings.digest_algorithms.clear();
  for (const std::string& name : security.digest_algorithms) {
    settings.digest_algorithms.push_back(sip::digest_algorithm_from(name));
  }
  settings.md5_only_user_agents = security.md5_only_user_agents;
  settings.trusted_peers =
      security::AddressSet::parse(security.trusted_peers).value_or(security::AddressSet{});
  settings.scanner_user_agents =
      security.scanner_user_agents.value_or(security::ScannerFilter::default_patterns());
  settings.bans.threshold = security.bans.threshold;
  settings.bans.window_seconds = security.bans.window;
  settings.bans.ban_seconds = security.bans.duration;
  settings.bans.never_ban =
      security::AddressSet::parse(security.bans.never_ban).value_or(security::AddressSet{});
  // The trust domain is never banned either: a peer we believe must not be locked out by
  // failures or scanner requests forged in its name.
  settings.bans.trusted_peers = settings.trusted_peers;
  settings.bans.prefix_threshold = security.bans.prefix_threshold;
  settings.rate_limit.requests_per_second = security.rate_limit.requests_per_second;
  settings.rate_limit.burst = security.rate_limit.burst;
  settings.rate_limit.exempt =
      security::AddressSet::parse(security.rate_limit.exempt).value_or(security::AddressSet{});
  settings.dial_policy = dialplan_policy(dialplan);
  settings.gateway = dialplan.gateway;
  return settings;
}

void read_security(ReadState& state, const toml::table& table, SecurityConfig& security) {
  Section section(state, table, "security");
  section.boolean("authentication", security.authentication);
  section.boolean("accept_inbound", security.accept_inbound);
  std::uint32_t nonce_lifetime = security.nonce_lifetime;
  if (section.integer<std::uint32_t>("nonce_lifetime", 10, 86400, nonce_lifetime)) {
    // RFC 7616 §5.4 / RFC 3261 §22.4: replay protection remembers every count of a nonce for
    // as long as the nonce is accepted; the table is sized for at most an hour of that.
    if (nonce_lifetime > security::NonceCounts::kMaxNonceLifetimeSeconds) {
      section.fail("nonce_lifetime",
                   "must be at most " + std::to_string(security::NonceCounts::kMaxNonceLifetimeSeconds) +
                       " seconds: the nonce-count table keeps a nonce's counts for at most " +
                       std::to_string(security::NonceCounts::kMaxRetentionSeconds) +
                       " seconds, and a nonce that outlives its counts could be replayed");
    } else {
      security.nonce_lifetime = nonce_lifetime;
    }
  }
  section.integer<std::uint32_t>("dialog_token_lifetime", 1, 30 * 86400, security.dialog_token_lifetime);
  std::vector<std::string> algorithms;
  if (section.string_array("digest_algorithms", algorithms)) {
    const bool known = std::all_of(algorithms.begin(), algorithms.end(), [](const std::string& name) {
      return name == "SHA-256" || name == "MD5";
    });
    const bool unique = algorithms.size() < 2 || algorithms[0] != algorithms[1];
    if (algorithms.empty() || algorithms.size() > 2 || !known || !unique) {
      section.fail("digest_algorithms",
                   "must list \"SHA-256\" and/or \"MD5\", each once, in order of preference");
    } else {
      security.digest_algorithms = std::move(algorithms);
    }
  }
  std::vector<std::string> md5_only;
  if (section.string_array("md5_only_user_agents", md5_only)) {
    // A prefix of printable ASCII without spaces at its ends: anything else could never match a
    // User-Agent as the parser hands it over, and would silently do nothing.
    const auto bad = std::find_if(md5_only.begin(), md5_only.end(), [](const std::string& prefix) {
      return prefix.size() > 128 || prefix.front() == ' ' || prefix.back() == ' ' ||
             std::any_of(prefix.begin(), prefix.end(), [](char c) { return c < 0x20 || c > 0x7e; });
    });
    if (bad != md5_only.end()) {
      section.fail("md5_only_user_agents", "'" + *bad +
                                               "' is not a User-Agent prefix (printable ASCII, at most 128 "
                                               "characters, no space at either end)");
    } else {
      security.md5_only_user_agents = std::move(md5_only);
    }
  }
  read_networks(section, "trusted_peers", security.trusted_peers);
  std::vector<std::string> scanners;
  if (section.string_array("scanner_user_agents", scanners))
    security.scanner_user_agents = std::move(scanners);
  if (const toml::table* bans = section.table("bans")) read_bans(state, *bans, security.bans);
  if (const toml::table* limit = section.table("rate_limit"))
    read_rate_limit(state, *limit, security.rate_limit);
  section.fail_unknown_keys();
}

void read_dialplan(ReadState& state, const toml::table& table, DialplanConfig& dialplan) {
  Section section(state, table, "dialplan");
  if (section.string("gateway", dialplan.gateway)) {
    auto uri = sip::parse_uri(dialplan.gateway, {false});
    if (!uri || !uri->is_sip()) section.fail("gateway", "'" + dialplan.gateway + "' is not a sip: URI");
  }
  std::vector<std::string> international;
  if (section.string_array("international", international)) dialplan.international = std::move(international);
  section.string_array("deny", dialplan.deny);
  section.boolean("allow_national", dialplan.allow_national);
  if (const toml::array* groups = section.table_array("group")) {
    for (std::size_t i = 0; i < groups->size(); ++i) {
      const toml::table* group = groups->get(i)->as_table();
      if (group == nullptr) continue;  // table_array checked the element types
      dialplan.groups.push_back(read_group(state, *group, "dialplan.group[" + std::to_string(i) + "]"));
    }
  }
  read_trunk_routes(state, section, dialplan.routes);
  // The prefixes and members as the server will use them: one error here, not at start-up.
  if (auto policy = security::DialPolicy::create(dialplan_policy(dialplan)); !policy) {
    section.fail(section.has("group") ? "group" : "deny", policy.error());
  }
  section.fail_unknown_keys();
}

}  // namespace osprey::app
