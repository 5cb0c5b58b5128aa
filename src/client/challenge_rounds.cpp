#include "client/challenge_rounds.hpp"

#include <algorithm>

namespace osprey::client {

namespace {

bool is_challenge(const Outcome& outcome) {
  // RFC 3261 §22.2 (401 from a UAS or registrar), §22.3 (407 from a proxy).
  return outcome.response && (outcome.response->status() == 401 || outcome.response->status() == 407);
}

}  // namespace

ChallengeRounds::ChallengeRounds(sip::Message request, DigestCredentials* credentials)
    : base_(std::move(request)), current_(base_.clone()), credentials_(credentials) {
  if (base_.cseq()) cseq_ = base_.cseq()->number;
  // §22.3: credentials of realms met before go along at once (a refresh of a registration).
  // When they cannot be made the request goes without them; a challenge then says what is
  // wanted, and its round reports the failure.
  if (credentials_ && credentials_->knows_any()) prepare(cseq_);
  note_.clear();
}

bool ChallengeRounds::next(const Outcome& outcome) {
  if (!credentials_ || !is_challenge(outcome)) return false;
  const std::vector<DigestChallenge> learned = credentials_->learn(*outcome.response);
  if (learned.empty()) {
    note_ = "no challenge this client can answer (Digest with SHA-256 or MD5, qop auth or none)";
    return false;
  }
  for (const DigestChallenge& challenge : learned) {
    const bool answered = std::find(answered_.begin(), answered_.end(),
                                    std::pair(challenge.answer_header, challenge.realm)) != answered_.end();
    if (answered && !challenge.stale) {
      note_ = "the server refused the credentials of \"" + credentials_->account().username +
              "\" for realm \"" + challenge.realm + "\"";
      return false;
    }
  }
  if (rounds_ == kMaxChallengeRounds) {
    note_ = "still challenged after " + std::to_string(kMaxChallengeRounds) + " rounds of credentials";
    return false;
  }
  for (const DigestChallenge& challenge : learned)
    answered_.emplace_back(challenge.answer_header, challenge.realm);
  ++rounds_;
  // §8.1.3.5: the request with credentials is a new transaction, so its CSeq is higher.
  return prepare(cseq_ + 1);
}

bool ChallengeRounds::prepare(std::uint32_t cseq) {
  sip::Message edited = base_.clone();
  edited.replace_header(sip::HeaderId::cseq, std::to_string(cseq) + " " + std::string(base_.method_text()));
  if (auto authorized = credentials_->authorize(edited); !authorized) {
    note_ = "cannot compute the credentials: " + authorized.error();
    return false;
  }
  // Parsed again so the key headers (CSeq) the transaction layer reads are the new ones.
  auto parsed = edited.reparsed();
  if (!parsed) {
    note_ = "cannot build the request with credentials: " + parsed.error().reason;
    return false;
  }
  current_ = std::move(*parsed);
  cseq_ = cseq;
  return true;
}

}  // namespace osprey::client
