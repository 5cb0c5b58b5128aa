#pragma once
// Inbound authentication of trunks (sbc::Trunk::inbound_credentials): a request from a trunk that
// must authenticate is challenged with 407 (RFC 3261 §22.3: osprey acts as the proxy in front of
// its users) and its Proxy-Authorization checked by the server's own Digest verifier
// (security::DigestAuthenticator: SHA-256 and MD5, qop=auth, nonces bound to the realm and the
// source address, replayed nonce counts refused). The trunk's one account lives here, as HA1s
// computed once, never in the user store: a trunk's password opens nothing but its trunk.
//
// The B2BUA dispatch calls check() for each new request it takes from a trunk (an INVITE,
// OPTIONS, MESSAGE, ... outside a dialog) after the trunk was found by source
// (TrunkDirectory::by_source). Requests inside a call are matched to the call by the B2BUA's own
// leg identifiers and need no new credentials. ACK and CANCEL cannot be challenged (§22.1):
// an ACK is dropped (TrunkAuthOutcome::drop), a CANCEL refused 403, when they come alone.
//
// Thread safety: check() is const and may run on every worker at once (the nonce service and
// counts are thread-safe).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/flow.hpp"
#include "sbc/trunk.hpp"
#include "security/digest_authenticator.hpp"
#include "security/nonce_counts.hpp"
#include "security/nonce_service.hpp"
#include "sip/local_reply.hpp"
#include "sip/message.hpp"

namespace osprey::sbc {

enum class TrunkAuthOutcome : std::uint8_t {
  pass,       // authenticated, or the trunk requires no credentials
  challenge,  // answer TrunkAuthDecision::answer: 407 with Proxy-Authenticate
  refuse,     // answer TrunkAuthDecision::answer: 403 (wrong credentials, wrong source) or 400
  drop,       // an ACK that cannot be judged: no answer (§17.1.1.3, ACK gets none)
};

struct TrunkAuthDecision {
  TrunkAuthOutcome outcome = TrunkAuthOutcome::refuse;
  std::optional<sip::LocalReply> answer;  // for challenge and refuse
  std::string user;                       // the user name offered (logs, ban counting)
  std::string_view reason;                // why, for logs: a string literal
  // The realm whose Proxy-Authorization was consumed (pass with credentials): it is not copied
  // to the other leg (RFC 3261 §22.3).
  std::string verified_realm;
};

class TrunkAuthenticators {
 public:
  // One account per trunk of `trunks` with inbound_credentials; its realm is the credentials'
  // realm, or `default_realm` (osprey's domain) when that is empty. `nonces` and `counts`
  // (the server's) outlive this object.
  TrunkAuthenticators(const std::vector<Trunk>& trunks, std::string default_realm,
                      const security::NonceService& nonces, security::NonceCounts& counts);
  ~TrunkAuthenticators();
  TrunkAuthenticators(const TrunkAuthenticators&) = delete;
  TrunkAuthenticators& operator=(const TrunkAuthenticators&) = delete;

  // Judges `request`, which came from `source` and was matched to `trunk`, at `now` (seconds
  // since the epoch). A trunk with `sources` whose source is not among them is refused 403,
  // whatever it carries. A trunk with inbound_credentials not known here (another
  // configuration's) is refused too: fail closed.
  TrunkAuthDecision check(const sip::Message& request, const net::Endpoint& source, const Trunk& trunk,
                          std::int64_t now) const;

 private:
  class TrunkAccount;
  std::unordered_map<std::string, std::unique_ptr<TrunkAccount>> by_name_;
};

}  // namespace osprey::sbc
