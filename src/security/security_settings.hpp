#pragma once
// What the security services are configured with: the config's [security] maps onto this.

#include <cstdint>
#include <string>
#include <vector>

#include "security/address_set.hpp"
#include "security/ban_table.hpp"
#include "security/dial_policy.hpp"
#include "security/rate_limiter.hpp"
#include "sip/auth_headers.hpp"

namespace osprey::security {

// Authentication, bans, rate limits, scanners, the trust domain and the dial policy.
// The defaults are the safe ones (authentication on); the config's [security] maps onto this.
struct SecuritySettings {
  bool authentication = true;
  bool accept_inbound = true;  // other domains may reach our users without an account here
  std::int64_t nonce_lifetime = 300;
  std::int64_t dialog_token_lifetime = 43200;  // security/dialog_token.hpp
  // Challenged in this order (RFC 8760 §2.4); some clients read only the first challenge.
  std::vector<sip::DigestAlgorithm> digest_algorithms = {sip::DigestAlgorithm::sha256,
                                                         sip::DigestAlgorithm::md5};
  // User-Agent prefixes (case-insensitive) challenged with MD5 alone, when MD5 is in
  // digest_algorithms (security/md5_only_clients.hpp); empty: none.
  std::vector<std::string> md5_only_user_agents;
  AddressSet trusted_peers;                      // RFC 3325 trust domain: not challenged, PAI believed
  std::vector<std::string> scanner_user_agents;  // dropped without an answer; empty: none
  BanPolicy bans;
  RateLimit rate_limit;  // per source and worker; requests_per_second 0: off
  DialPolicyConfig dial_policy;
  std::string gateway;  // sip: URI where numbers without an account go; empty: nowhere
};

}  // namespace osprey::security
