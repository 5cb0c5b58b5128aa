#pragma once
// Digest authentication of SIP requests (RFC 3261 §22, RFC 7616 as applied to SIP by RFC 8760):
// the challenges a 401 or 407 carries, and the check of the credentials a request brings back.
//
// osprey offers SHA-256 and MD5 with qop=auth only (RFC 8760 §2.4: SHA-256 first, MD5 for the
// clients that know nothing else); -sess, SHA-512-256, userhash and username* are answered with
// a fresh challenge, which the client can satisfy, rather than with a failure.
//
// Thread safety: challenges() and verify() are const and may run on any number of threads at
// once; the user store, the nonce service and the nonce counts are thread-safe themselves.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "security/md5_only_clients.hpp"
#include "security/nonce_counts.hpp"
#include "security/nonce_service.hpp"
#include "sip/auth_headers.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"
#include "store/user_store.hpp"

namespace osprey::security {

enum class AuthVerdict : std::uint8_t {
  authenticated,
  // Answer 401/407 with challenges(), with stale=true when AuthResult::stale says so. The normal
  // first answer to a client, and the answer to credentials osprey cannot check.
  challenge,
  // The credentials are wrong: a wrong password and an unknown user both end here, with the same
  // work done, so neither the answer nor its timing tells a scanner which user names exist.
  failed,
  // An Authorization / Proxy-Authorization line is not valid syntax, or a Digest credential lacks
  // a parameter RFC 7616 §3.4 requires: the caller answers 400 (RFC 3261 §8.2.3 spirit).
  malformed,
};

struct AuthResult {
  AuthVerdict verdict = AuthVerdict::challenge;
  std::optional<store::Account> account;  // when authenticated
  bool stale = false;                     // challenge again with stale=true (RFC 7616 §3.3)
  std::string user;                       // the user name the credentials offered (logs, ban counting)
  std::string_view reason;                // why, for logs: a string literal
};

// What a Digest response covers (RFC 7616 §3.4.1, qop=auth), each as the client wrote it.
struct DigestResponseInput {
  sip::DigestAlgorithm algorithm = sip::DigestAlgorithm::md5;
  std::string_view method;  // the request's method ("REGISTER")
  std::string_view uri;     // the credential's uri parameter (digest-uri)
  std::string_view nonce;
  std::string_view nc;  // 8 hex digits
  std::string_view cnonce;
  std::string_view qop;       // "auth"
  std::string_view response;  // the client's claim
};

// Whether input.response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" H(method ":" uri)) for
// the stored `ha1` (lowercase hex). The claim compares case-insensitively and in constant time.
// False if the algorithm cannot be computed.
bool response_matches(const DigestResponseInput& input, std::string_view ha1);

class DigestAuthenticator {
 public:
  // The algorithms challenged, in order of preference (RFC 8760 §2.4: the client takes the first
  // it supports). Only SHA-256 and MD5 may be listed: those are the HA1s the store keeps.
  using Algorithms = std::vector<sip::DigestAlgorithm>;
  static Algorithms default_algorithms() { return {sip::DigestAlgorithm::sha256, sip::DigestAlgorithm::md5}; }

  // `counts` should keep nonces at least as long as `nonces` lets them live
  // (NonceCounts::retention_for). If it keeps them for less, nonces are taken as stale once
  // older than the counts can vouch for: a nonce is never accepted after its counts are gone.
  // `md5_only`: clients that get the MD5 challenge alone (security/md5_only_clients.hpp), when
  // MD5 is among `algorithms`.
  DigestAuthenticator(const store::UserStore& users, const NonceService& nonces, NonceCounts& counts,
                      Algorithms algorithms = default_algorithms(),
                      Md5OnlyClients md5_only = Md5OnlyClients());

  // The values of WWW-Authenticate (401) or Proxy-Authenticate (407), the caller picks which:
  // one per configured algorithm, by default SHA-256 first, then MD5 (RFC 8760 §2.4), each
  //   Digest realm="<realm>", nonce="<n>", algorithm=<alg>, qop="auth"[, stale=true]
  // Both carry the same nonce: a nonce is bound to realm and time, not to an algorithm, so one
  // suffices whichever the client picks, costs one MAC instead of two and leaves one nc sequence.
  // `client`: the address the challenge goes to; the nonce is bound to it (and to the realm), so
  // only a client at that address can answer it. Empty: bound to the realm alone.
  // `request`: the request being challenged; when its User-Agent is one of the md5_only clients
  // and MD5 is configured, only the MD5 challenge is returned (same realm, nonce and qop).
  std::vector<std::string> challenges(std::string_view realm, std::int64_t now, bool stale,
                                      std::string_view client = {},
                                      const sip::Message* request = nullptr) const;

  // The algorithms challenged for `request` (nullptr: any client), in order.
  std::span<const sip::DigestAlgorithm> algorithms_for(const sip::Message* request) const;

  // Checks the Digest credentials for `realm` in the lines of `credentials_header`
  // (HeaderId::authorization or HeaderId::proxy_authorization) of `request` at `now` (seconds).
  // `client`: the address the request came from, as given to challenges().
  AuthResult verify(const sip::Message& request, sip::HeaderId credentials_header, std::string_view realm,
                    std::int64_t now, std::string_view client = {}) const;

 private:
  const store::UserStore& users_;
  const NonceService& nonces_;
  NonceCounts& counts_;
  Algorithms algorithms_;
  Md5OnlyClients md5_only_;
  bool md5_configured_ = false;
  // The age up to which a nonce is accepted: the NonceService's lifetime, or less when the
  // counts are kept for less (see the constructor).
  std::int64_t usable_lifetime_seconds_;
};

}  // namespace osprey::security
