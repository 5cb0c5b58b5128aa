#pragma once
// The client side of SIP Digest authentication (RFC 3261 §22.2 and §22.3, with RFC 7616's
// SHA-256 that RFC 8760 brings to SIP): which challenges of a 401 or 407 this client answers,
// and the Authorization or Proxy-Authorization values that answer them.
//
// A server offers the same realm several times, strongest algorithm first (RFC 7616 §3.7); the
// client answers each realm once, with the strongest algorithm it knows. A 407 that crossed
// several proxies carries one challenge per proxy realm, and each gets its own credentials
// (RFC 3261 §22.3). The nonce of a realm is kept after the exchange, so a later request (a
// registration refresh) can carry credentials before it is challenged (§22.3 "cache"), each
// with the next nonce count (RFC 7616 §3.4: nc counts the requests sent with one nonce).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "sip/auth_headers.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::client {

struct DigestAccount {
  std::string username;
  std::string password;
};

// Makes a cnonce (RFC 7616 §3.4: chosen by the client, so that a server cannot make it hash
// text of the server's choosing alone). Injectable so tests can use the RFC's examples.
using CnonceSource = std::function<std::string()>;

// 32 hex digits from OpenSSL's random generator.
std::string random_cnonce();

// One challenge this client answers: the strongest usable Digest challenge of one realm.
struct DigestChallenge {
  // authorization for a WWW-Authenticate, proxy_authorization for a Proxy-Authenticate (§22.2, §22.3).
  sip::HeaderId answer_header = sip::HeaderId::authorization;
  std::string realm;
  std::string nonce;
  std::optional<std::string> opaque;  // returned unchanged when the server sent one (RFC 7616 §3.3)
  sip::DigestAlgorithm algorithm = sip::DigestAlgorithm::md5;
  // qop="auth" was offered: the answer carries qop, nc and cnonce (RFC 7616 §3.4.1); otherwise
  // it is the RFC 2617 §3.2.2.1 form, H(HA1:nonce:HA2), which RFC 3261 §22.4 still allows.
  bool qop_auth = false;
  bool stale = false;  // RFC 7616 §3.3: the credentials were right, only the nonce was old
};

// The challenges of `response` (its WWW-Authenticate and Proxy-Authenticate lines) this client
// can answer: for each realm of each header, the strongest algorithm offered (SHA-512-256, then
// SHA-256, then MD5, each with its -sess form), first offered first among equals. Left out:
// other schemes, unknown algorithms, a qop list without "auth" (auth-int needs the body hash,
// which the tools do not compute), -sess without qop (its A1 needs a cnonce), malformed lines.
std::vector<DigestChallenge> answerable_challenges(const sip::Message& response);

// The header value answering `challenge` for a request `method` to `uri` (the Request-URI,
// RFC 3261 §22.4), with nonce count `nc` and `cnonce` (both unused without qop):
//   Digest username="..", realm="..", nonce="..", uri="..", algorithm=SHA-256,
//          response="..", qop=auth, nc=00000001, cnonce="..", opaque=".."
// Error: the hash cannot be computed (OpenSSL refusing MD5 in FIPS mode).
tl::expected<std::string, std::string> digest_authorization(const DigestChallenge& challenge,
                                                            const DigestAccount& account,
                                                            std::string_view method, std::string_view uri,
                                                            std::uint32_t nc, std::string_view cnonce);

// An account and the challenges it has met, for the requests of one session.
class DigestCredentials {
 public:
  explicit DigestCredentials(DigestAccount account, CnonceSource cnonce = random_cnonce);

  // Learns the answerable challenges of a 401 or 407 (answerable_challenges). Each replaces
  // what was known for its realm; a new nonce starts counting again. Returns what it learned:
  // empty when there is nothing this client can answer.
  std::vector<DigestChallenge> learn(const sip::Message& response);

  // Replaces the Authorization and Proxy-Authorization lines of `request` with one line per
  // known realm, each with the next nc of its nonce and a fresh cnonce. The key headers of
  // `request` are unchanged, so the edit needs no new parse.
  tl::expected<void, std::string> authorize(sip::Message& request);

  bool knows_any() const { return !known_.empty(); }
  const DigestAccount& account() const { return account_; }

 private:
  struct Known {
    DigestChallenge challenge;
    std::uint32_t nc = 0;  // requests sent so far with challenge.nonce
  };

  DigestAccount account_;
  CnonceSource cnonce_;
  std::vector<Known> known_;
};

}  // namespace osprey::client
