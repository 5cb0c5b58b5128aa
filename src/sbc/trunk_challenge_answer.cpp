#include "sbc/trunk_challenge_answer.hpp"

#include <algorithm>

namespace osprey::sbc {

TrunkChallengeAnswer::TrunkChallengeAnswer(TrunkCredentials credentials, security::CnonceSource cnonce)
    : account_{std::move(credentials.username), std::move(credentials.password)},
      realm_(std::move(credentials.realm)),
      cnonce_(std::move(cnonce)) {}

std::vector<security::DigestChallenge> TrunkChallengeAnswer::acceptable(const sip::Message& challenge) const {
  std::vector<security::DigestChallenge> found = security::answerable_challenges(challenge);
  // RFC 3261 §22.1: realms compare exactly. The configured realm keeps the trunk's password from
  // being hashed for any other realm a proxy on the way asks for.
  if (!realm_.empty()) {
    std::erase_if(found, [&](const security::DigestChallenge& c) { return c.realm != realm_; });
  }
  // §22.2 / §22.3: a 401 is answered with Authorization, a 407 with Proxy-Authorization.
  const sip::HeaderId wanted =
      challenge.status() == 407 ? sip::HeaderId::proxy_authorization : sip::HeaderId::authorization;
  std::erase_if(found, [&](const security::DigestChallenge& c) { return c.answer_header != wanted; });
  return found;
}

std::optional<sip::Message> TrunkChallengeAnswer::answer(const sip::Message& request,
                                                         const sip::Message& challenge) {
  if (!request.is_request() || !challenge.is_response()) return std::nullopt;
  if (challenge.status() != 401 && challenge.status() != 407) return std::nullopt;
  const std::vector<security::DigestChallenge> offered = acceptable(challenge);
  if (offered.empty()) return std::nullopt;

  // Every realm is judged before anything changes: one realm that failed ends the attempt,
  // whatever else the response offers (the trunk refused us; answering the rest would loop).
  for (const security::DigestChallenge& c : offered) {
    auto known = std::find_if(answered_.begin(), answered_.end(), [&](const Answered& a) {
      return a.challenge.answer_header == c.answer_header && a.challenge.realm == c.realm;
    });
    if (known == answered_.end()) continue;
    // RFC 7616 §3.3: stale=true says the last credentials were right and only the nonce aged; a
    // new nonce is answered again. The same nonce again, or no stale flag: refused.
    if (!c.stale || c.nonce == known->challenge.nonce) return std::nullopt;
    if (known->stale_rounds >= kMaxStaleRounds) return std::nullopt;
  }
  for (const security::DigestChallenge& c : offered) {
    auto known = std::find_if(answered_.begin(), answered_.end(), [&](const Answered& a) {
      return a.challenge.answer_header == c.answer_header && a.challenge.realm == c.realm;
    });
    if (known == answered_.end()) {
      answered_.push_back(Answered{c, 0, 0});
    } else {
      known->challenge = c;
      known->nc = 0;  // a new nonce counts from 1 (RFC 7616 §3.4)
      ++known->stale_rounds;
    }
  }

  sip::Message again = request.clone();
  again.remove_headers(sip::HeaderId::authorization);
  again.remove_headers(sip::HeaderId::proxy_authorization);
  // RFC 3261 §22.4: the digest-uri is the Request-URI as sent.
  const std::string uri(request.request_uri().text);
  const std::string method(request.method_text());
  for (Answered& known : answered_) {
    auto value =
        security::digest_authorization(known.challenge, account_, method, uri, known.nc + 1, cnonce_());
    if (!value) return std::nullopt;
    ++known.nc;
    again.add_header(known.challenge.answer_header, *value);
  }
  ++rounds_;
  return again;
}

}  // namespace osprey::sbc
