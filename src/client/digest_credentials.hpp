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

#include "security/digest_answer.hpp"
#include "sip/auth_headers.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::client {

// The computation lives in security/ (security/digest_answer.hpp), shared with the SBC.
using security::answerable_challenges;
using security::CnonceSource;
using security::digest_authorization;
using security::DigestAccount;
using security::DigestChallenge;
using security::random_cnonce;

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
