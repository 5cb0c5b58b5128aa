#pragma once
// The [security] and [dialplan] sections of the config: digest authentication, bans,
// rate limits, scanner filtering, trusted peers and the toll-fraud dial policy. The defaults are
// the safe ones: authentication on, bans on, scanners dropped, international numbers denied.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "app/config_reader.hpp"
#include "sbc/trunk.hpp"
#include "security/dial_policy.hpp"
#include "security/md5_only_clients.hpp"
#include "server/server_settings.hpp"

namespace osprey::app {

struct BanConfig {
  std::uint32_t threshold = 10;        // wrong credentials within the window that ban the source
  std::uint32_t window = 60;           // seconds
  std::uint32_t duration = 900;        // seconds of the first ban; doubled for each repeat offence
  std::vector<std::string> never_ban;  // CIDRs never banned (the admins' own networks)
  // Banned addresses within one /24 (IPv4) or /64 (IPv6) that ban the whole prefix, so that a
  // flood from many addresses of one network costs one ban; 0: never. never_ban addresses and
  // trusted peers inside a banned prefix stay served.
  std::uint32_t prefix_threshold = 16;
};

struct RateLimitConfig {
  std::uint32_t requests_per_second = 500;  // per source address and worker thread; 0: off
  std::uint32_t burst = 1000;
  // Sources never limited: loopback is the host itself (a local B2BUA, a load test).
  std::vector<std::string> exempt = {"127.0.0.0/8", "::1"};
};

struct SecurityConfig {
  // RFC 3261 §22: REGISTER challenged with 401, requests from our users with 407.
  bool authentication = true;
  // Requests from other domains, which cannot authenticate here, may reach our users (never
  // leave toward other destinations: no open relay).
  bool accept_inbound = true;
  std::uint32_t nonce_lifetime = 300;  // seconds; then stale=true (RFC 7616 §3.3)
  // Seconds a dialog token stays valid after its dialog's last in-dialog request
  // (security/dialog_token.hpp); 12 hours, like Kamailio's dialog timeout.
  std::uint32_t dialog_token_lifetime = 43200;
  // The Digest algorithms challenged, in order (RFC 8760 §2.4): "SHA-256", "MD5". Clients that
  // read only the first challenge and know only MD5 (SIPp 3.6, old phones) need MD5 first.
  std::vector<std::string> digest_algorithms = {"SHA-256", "MD5"};
  // User-Agent prefixes (case-insensitive) answered with the MD5 challenge alone: libre/baresip
  // give up on a 401/407 that carries any other algorithm, even beside MD5. Only narrows what
  // is offered; does nothing when MD5 is not in digest_algorithms.
  std::vector<std::string> md5_only_user_agents = security::Md5OnlyClients::default_prefixes();
  // CIDRs of peers inside the trust domain (RFC 3325): not challenged, their P-Asserted-Identity
  // is believed.
  std::vector<std::string> trusted_peers;
  // User-Agent substrings of attack tools, dropped without an answer; absent: the built-in list.
  std::optional<std::vector<std::string>> scanner_user_agents;
  BanConfig bans;
  RateLimitConfig rate_limit;
};

struct DialGroupConfig {
  std::string name;
  std::vector<std::string> members;  // AORs, sip:alice@example.com
  std::vector<std::string> allow;    // number prefixes: "+972", "011972"
};

struct DialplanConfig {
  // Where calls to numbers go (a sip: URI); empty: numbers in a served domain are not routed.
  std::string gateway;
  std::optional<std::vector<std::string>> international;  // absent: the built-in prefixes
  std::vector<std::string> deny;                          // always denied (premium ranges)
  bool allow_national = true;
  std::vector<DialGroupConfig> groups;
  // SBC mode: `[[dialplan.route]]`, calls toward trunks by number prefix or domain.
  std::vector<sbc::TrunkRoute> routes;
};

// The config as the server takes it; the config was validated, so nothing fails here.
security::DialPolicyConfig dialplan_policy(const DialplanConfig& dialplan);
security::SecuritySettings security_settings(const SecurityConfig& security, const DialplanConfig& dialplan);

void read_security(ReadState& state, const toml::table& table, SecurityConfig& security);
void read_dialplan(ReadState& state, const toml::table& table, DialplanConfig& dialplan);

}  // namespace osprey::app
