#pragma once
// Who may do what, decided once per new request before the registrar or the proxy sees it
// (DESIGN.md pipeline: security -> auth -> local services | routing). Issue #6:
//
//  - REGISTER for a served domain must authenticate (401, RFC 3261 §10.3 step 3, §22.2), as the
//    owner of the To AOR (403 otherwise, §10.3 step 4).
//  - A dialog-initial request from one of our users (From in a served domain), or toward a
//    destination outside the served users (another domain, a Route not ours, a telephone number
//    with no account), must authenticate (407, §22.3), as the owner of the From AOR (403
//    otherwise): nobody calls as someone else, and nothing leaves through osprey without an
//    account behind it (no open relay).
//  - Calls to numbers must pass the dial policy (toll fraud): 403 and a log line otherwise.
//  - Requests from other domains to our users need no account (accept_inbound), trusted peers
//    (RFC 3325 trust domain) none at all; ACK and CANCEL are never challenged (§22.1), nor
//    requests inside a dialog that osprey admitted: their Route names our Record-Route with a
//    valid dialog token (security/dialog_token.hpp). A To tag alone proves nothing: without the
//    token the request is judged as a new one.
//
// Unknown users and wrong passwords get the very same fresh challenge, so extensions cannot be
// enumerated; both count toward a ban of the source, a bare challenge never does.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/flow.hpp"
#include "proxy/local_identity.hpp"
#include "security/ban_table.hpp"
#include "security/dial_policy.hpp"
#include "security/dialog_token.hpp"
#include "security/digest_authenticator.hpp"
#include "server/server_settings.hpp"
#include "sip/message.hpp"
#include "store/user_store.hpp"

namespace spdlog {
class logger;
}

namespace osprey::server {

struct AccessDecision {
  // 0: go on (registrar or proxy); else answer with this status, reason and headers.
  int status = 0;
  std::string_view reason;
  std::vector<std::pair<std::string, std::string>> headers;
  // The AOR the request authenticated as (the identity the proxy asserts, RFC 3325); empty when
  // it did not authenticate.
  std::string identity;
  // The source is a trusted peer: its P-Asserted-Identity stands.
  bool trusted_source = false;
};

struct AccessCounters {
  std::uint64_t challenged = 0;  // 401/407 without a failure
  std::uint64_t failures = 0;    // wrong password or unknown user
  std::uint64_t authenticated = 0;
  std::uint64_t forbidden = 0;     // 403: identity mismatch, relay, dial policy
  std::uint64_t toll_fraud = 0;    // of which the dial policy
  std::uint64_t acks_dropped = 0;  // ACKs that would have been relayed without a dialog token
};

class AccessControl {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch

  // Everything passed outlives this object. `users` and `authenticator` may be null only when
  // authentication is off; `bans` may be null (failures are then only counted).
  AccessControl(const SecuritySettings& settings, const proxy::LocalIdentity& identity,
                const store::UserStore* users, security::DigestAuthenticator* authenticator,
                security::BanTable* bans, const security::DialPolicy* dial_policy, Clock clock,
                spdlog::logger& logger, const security::DialogToken* dialog_tokens = nullptr);

  AccessDecision admit(const sip::Message& request, const net::Flow& flow);
  // An ACK for a 2xx cannot be challenged (§22.1) and gets no answer, so it is forwarded or
  // dropped: forwarded inside a dialog osprey admitted (our Record-Route's token), toward our
  // own users, from trusted peers, or with authentication off; else it is a relay attempt.
  bool ack_allowed(const sip::Message& ack, const net::Flow& flow);

  const AccessCounters& counters() const { return counters_; }

 private:
  AccessDecision authenticate(const sip::Message& request, const net::Flow& flow, bool registration,
                              const std::string& realm);
  // The destination is not one of our users: another domain, a Route toward elsewhere, or a
  // number with no account (which goes to the gateway, or nowhere).
  bool leaves_served_users(const sip::Message& request) const;
  std::string realm_for(const sip::Uri& uri) const;
  // The request names our Record-Route with a valid dialog token for its Call-ID (always true
  // without tokens).
  bool dialog_admitted(const sip::Message& request) const;

  const SecuritySettings& settings_;
  const proxy::LocalIdentity& identity_;
  const store::UserStore* users_;
  security::DigestAuthenticator* authenticator_;
  security::BanTable* bans_;
  const security::DialPolicy* dial_policy_;
  Clock clock_;
  spdlog::logger& logger_;
  const security::DialogToken* dialog_tokens_;
  AccessCounters counters_;
};

}  // namespace osprey::server
