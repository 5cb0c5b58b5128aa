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

bool TrunkChallengeAnswer::learn(const sip::Message& challenge) {
  if (!challenge.is_response()) return false;
  if (challenge.status() != 401 && challenge.status() != 407) return false;
  if (rounds_ >= kMaxRounds) return false;
  const std::vector<security::DigestChallenge> offered = acceptable(challenge);
  if (offered.empty()) return false;

  // Every realm is judged before anything changes: one realm that failed ends the attempt,
  // whatever else the response offers (the trunk refused us; answering the rest would loop).
  std::size_t realms = answered_.size();
  for (const security::DigestChallenge& c : offered) {
    const Answered* known = find(c);
    if (known == nullptr) {
      if (++realms > kMaxRealms) return false;
      continue;
    }
    // RFC 7616 §3.3: stale=true says the last credentials were right and only the nonce aged; a
    // new nonce is answered again. The same nonce again, or no stale flag: refused.
    if (!c.stale || c.nonce == known->challenge.nonce) return false;
    if (known->stale_rounds >= kMaxStaleRounds) return false;
  }
  for (const security::DigestChallenge& c : offered) {
    Answered* known = find(c);
    if (known == nullptr) {
      answered_.push_back(Answered{c, 0, 0});
    } else {
      known->challenge = c;
      known->nc = 0;  // a new nonce counts from 1 (RFC 7616 §3.4)
      ++known->stale_rounds;
    }
  }
  ++rounds_;
  return true;
}

bool TrunkChallengeAnswer::authorize(sip::Message& request) {
  request.remove_headers(sip::HeaderId::authorization);
  request.remove_headers(sip::HeaderId::proxy_authorization);
  // RFC 3261 §22.4: the digest-uri is the Request-URI as sent.
  const std::string uri(request.request_uri().text);
  const std::string method(request.method_text());
  for (Answered& known : answered_) {
    auto value =
        security::digest_authorization(known.challenge, account_, method, uri, known.nc + 1, cnonce_());
    if (!value) return false;
    ++known.nc;
    request.add_header(known.challenge.answer_header, *value);
  }
  return true;
}

std::optional<sip::Message> TrunkChallengeAnswer::answer(const sip::Message& request,
                                                         const sip::Message& challenge) {
  if (!request.is_request() || !learn(challenge)) return std::nullopt;
  sip::Message again = request.clone();
  if (!authorize(again)) return std::nullopt;
  return again;
}

TrunkChallengeAnswer::Answered* TrunkChallengeAnswer::find(const security::DigestChallenge& challenge) {
  auto known = std::find_if(answered_.begin(), answered_.end(), [&](const Answered& a) {
    return a.challenge.answer_header == challenge.answer_header && a.challenge.realm == challenge.realm;
  });
  return known == answered_.end() ? nullptr : &*known;
}

}  // namespace osprey::sbc
