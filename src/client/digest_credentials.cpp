#include "client/digest_credentials.hpp"

#include <algorithm>

namespace osprey::client {

DigestCredentials::DigestCredentials(DigestAccount account, CnonceSource cnonce)
    : account_(std::move(account)), cnonce_(std::move(cnonce)) {}

std::vector<DigestChallenge> DigestCredentials::learn(const sip::Message& response) {
  std::vector<DigestChallenge> learned = answerable_challenges(response);
  for (const DigestChallenge& challenge : learned) {
    auto known = std::find_if(known_.begin(), known_.end(), [&](const Known& k) {
      return k.challenge.answer_header == challenge.answer_header && k.challenge.realm == challenge.realm;
    });
    if (known == known_.end()) {
      known_.push_back(Known{challenge, 0});
      continue;
    }
    // nc counts per nonce (RFC 7616 §3.4): the same nonce offered again keeps counting.
    if (known->challenge.nonce != challenge.nonce) known->nc = 0;
    known->challenge = challenge;
  }
  return learned;
}

tl::expected<void, std::string> DigestCredentials::authorize(sip::Message& request) {
  request.remove_headers(sip::HeaderId::authorization);
  request.remove_headers(sip::HeaderId::proxy_authorization);
  // RFC 3261 §22.4: the digest-uri is the Request-URI as sent.
  const std::string uri(request.request_uri().text);
  const std::string method(request.method_text());
  for (Known& known : known_) {
    auto value = digest_authorization(known.challenge, account_, method, uri, known.nc + 1, cnonce_());
    if (!value) return tl::unexpected(value.error());
    ++known.nc;
    request.add_header(known.challenge.answer_header, *value);
  }
  return {};
}

}  // namespace osprey::client
