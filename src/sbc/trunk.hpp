#pragma once
// A trunk: a peer SIP network (a carrier, a PBX) osprey talks to as a B2BUA (sbc/b2bua.hpp).
// One `[[trunk]]` section of the configuration each; this is what the configuration says, the
// running state (calls up, registration) lives elsewhere.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "security/address_set.hpp"

namespace osprey::sbc {

class HeaderRules;  // sbc/header_rules.hpp

// Digest credentials osprey answers the trunk's 401/407 with (RFC 3261 §22.2, RFC 8760).
struct TrunkCredentials {
  std::string username;
  std::string password;
  std::string realm;  // empty: any realm the trunk challenges with
};

// A trunk that wants osprey to REGISTER to it (RFC 3261 §10.2), refreshed before expiry and
// retried after a failure.
struct TrunkRegistration {
  bool enabled = false;
  std::string aor;  // To/From of the REGISTER: sip:user@carrier; empty: username@peer host
  std::uint32_t expires = 3600;
  std::uint32_t retry_after = 60;  // seconds after a failed attempt
};

// Per-trunk admission; 0 means unlimited.
struct TrunkLimits {
  // A call with no session timer whose two BYEs are lost would otherwise be held, and counted
  // against max_calls, for ever: 4 hours, longer than nearly every real call.
  static constexpr std::uint32_t kDefaultMaxCallDuration = 14400;

  double calls_per_second = 0;
  std::uint32_t max_calls = 0;  // concurrent calls through the trunk, both directions
  // Seconds a confirmed call through the trunk may last; then osprey ends it with BYE on both
  // legs (Reason, RFC 3326). 0: no bound.
  std::uint32_t max_call_duration = kDefaultMaxCallDuration;
};

// Where the caller's identity is read and written on calls leaving toward this trunk
// (sbc/identity_normalizer.hpp).
enum class IdentityHeader { p_asserted_identity, from, remote_party_id };
struct IdentityPolicy {
  std::vector<IdentityHeader> read_from{IdentityHeader::p_asserted_identity, IdentityHeader::from};
  bool write_from = false;  // the identity goes into From's URI (the display name with it)
  bool write_pai = true;    // the identity goes into P-Asserted-Identity
  // RFC 3325 §5: a trusted trunk is inside the trust domain: its P-Asserted-Identity stands on
  // calls from it, and Privacy: id is left to it on calls toward it (untrusted: the identity
  // is removed, RFC 3323 §5.3).
  bool trusted = false;
  // RFC 7544 / RFC 5806: which header carries diversions toward this trunk; the other one is
  // converted into it.
  enum class Diversion { keep, history_info, diversion } diversion = Diversion::keep;
};

// RFC 4028 on the leg toward this trunk (sbc/session_timer.hpp).
struct SessionTimerSettings {
  bool enabled = true;
  std::uint32_t session_expires = 1800;  // what osprey asks for
  std::uint32_t min_se = 90;             // the shortest it accepts (422 below it)
};

struct Trunk {
  std::string name;
  // Where calls toward the trunk go: a sip:/sips: URI, resolved by RFC 3263
  // ("sip:carrier.example.com", "sip:192.0.2.10:5080;transport=tcp").
  std::string peer;
  // Source addresses an inbound request is matched to this trunk by; empty: the peer's resolved
  // addresses only.
  security::AddressSet sources;
  std::optional<TrunkCredentials> credentials;  // osprey authenticates toward the trunk
  // The trunk authenticates toward osprey: its requests are challenged (407) and must carry
  // these credentials, besides coming from `sources`.
  std::optional<TrunkCredentials> inbound_credentials;
  std::shared_ptr<const HeaderRules> rules_in;   // on requests and responses from the trunk
  std::shared_ptr<const HeaderRules> rules_out;  // on requests and responses toward the trunk
  TrunkLimits limits;
  TrunkRegistration registration;
  IdentityPolicy identity;
  SessionTimerSettings session_timers;
};

// Calls toward trunks: `[[dialplan.route]]` entries, tried in order; the first that matches gives
// the trunks, tried in turn (failover on 408, 5xx and timeouts).
struct TrunkRoute {
  std::string prefix;               // the Request-URI user starts with it ("+44", "00"); empty: any
  std::string domain;               // the Request-URI host equals it; empty: any
  std::uint32_t strip = 0;          // digits removed from the user's start before it leaves
  std::string prepend;              // then put in front
  std::vector<std::string> trunks;  // by name
};

struct SbcSettings {
  std::vector<Trunk> trunks;
  std::vector<TrunkRoute> routes;
};

}  // namespace osprey::sbc
