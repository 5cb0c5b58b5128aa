#pragma once
// osprey's answer to a trunk's 401 / 407 (RFC 3261 §22.2, §22.3; RFC 7616 with SHA-256 as RFC 8760
// brings it to SIP): the request sent toward the trunk, again, with Authorization or
// Proxy-Authorization computed from the trunk's TrunkCredentials.
//
// One TrunkChallengeAnswer per request sequence (a call's INVITE toward a trunk, one REGISTER
// and its challenged repeats): it remembers the realms it has answered, so that a second
// challenge for a realm already answered (the trunk refused the password) ends the attempt
// instead of looping. A challenge with stale=true (RFC 7616 §3.3: the credentials were right,
// the nonce was old) is answered again with the new nonce, a bounded number of times, so a
// hostile trunk cannot keep osprey re-sending forever.
//
// The caller's part (RFC 3261 §8.1.3.5, §22.2): the request returned still carries the CSeq
// number and the Via of the request given; the caller increments the CSeq and the transaction
// table puts a new Via branch on top (txn::TransactionTable::send_request). Call-ID, tags and
// the rest stay.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sbc/trunk.hpp"
#include "security/digest_answer.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::sbc {

class TrunkChallengeAnswer {
 public:
  // Times one realm's stale=true challenge is answered again before the attempt ends.
  static constexpr int kMaxStaleRounds = 2;
  // Challenges answered in all, and realms answered at once, before the attempt ends: a trunk
  // naming a new realm in every challenge, or a hundred realms in one, would otherwise have
  // osprey hash and re-send without end (a 407 from the trunk's edge proxy and a 401 from its
  // registrar, each once stale, fit well within these).
  static constexpr int kMaxRounds = 6;
  static constexpr std::size_t kMaxRealms = 4;

  explicit TrunkChallengeAnswer(TrunkCredentials credentials,
                                security::CnonceSource cnonce = security::random_cnonce);

  // `request`: the request osprey sent (the last one, with any credentials it carried);
  // `challenge`: the trunk's response to it. The request to send again, with one
  // Authorization / Proxy-Authorization line per realm answered so far (a 407 from the trunk's
  // proxy, then a 401 from its registrar, need both, §22.3), each with the strongest algorithm
  // offered (SHA-512-256, SHA-256, MD5: RFC 7616 §3.7) and, when offered, qop=auth with a
  // fresh cnonce and the nonce count. nullopt when it cannot answer: not a 401/407, no Digest
  // challenge this side can answer, none in TrunkCredentials::realm when that is set, a realm
  // already answered and challenged again without stale=true, more than kMaxRounds challenges or
  // kMaxRealms realms, or the hash cannot be computed.
  std::optional<sip::Message> answer(const sip::Message& request, const sip::Message& challenge);

  // The two halves of answer(), for a caller that builds the next request itself (the REGISTER
  // client, whose repeat after a 423 carries a new Expires): learn() judges `challenge` as
  // answer() does (false: cannot answer, the attempt ends) and remembers its realms;
  // authorize() replaces the Authorization / Proxy-Authorization lines of `request` with one per
  // realm learned, each with its next nonce count (false: a hash could not be computed).
  bool learn(const sip::Message& challenge);
  bool authorize(sip::Message& request);

  // How many challenges were answered (the caller's logs).
  int rounds() const { return rounds_; }

 private:
  struct Answered {
    security::DigestChallenge challenge;
    std::uint32_t nc = 0;  // requests sent with challenge.nonce (RFC 7616 §3.4)
    int stale_rounds = 0;
  };

  // The challenges of `challenge` this side answers (realm filter applied).
  std::vector<security::DigestChallenge> acceptable(const sip::Message& challenge) const;
  Answered* find(const security::DigestChallenge& challenge);

  security::DigestAccount account_;
  std::string realm_;  // empty: any
  security::CnonceSource cnonce_;
  std::vector<Answered> answered_;
  int rounds_ = 0;
};

}  // namespace osprey::sbc
