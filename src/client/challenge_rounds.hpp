#pragma once
// One request of a client tool through its Digest challenges (RFC 3261 §22.2, §22.3): a 401 or
// 407 is answered by sending the request again with credentials and the next CSeq (§8.1.3.5:
// a new transaction, the same Call-ID and From tag), until a response that is not a challenge.
//
// It stops, leaving the challenge as the final response, when:
//   - there are no credentials (no password given) or nothing in the challenge to answer;
//   - a realm this exchange already answered is challenged again without stale=true: the
//     server refused the credentials (RFC 7616 §3.3: stale=true alone means "right
//     credentials, old nonce; try again with this one");
//   - kMaxChallengeRounds retries have been sent.
// A challenge after credentials reused from an earlier exchange (a refresh) is a new round:
// the server may have forgotten the nonce without saying stale.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client/digest_credentials.hpp"
#include "client/outcome.hpp"
#include "sip/message.hpp"

namespace osprey::client {

inline constexpr std::size_t kMaxChallengeRounds = 3;

class ChallengeRounds {
 public:
  // `request` is the first to send; it gets the credentials `credentials` already knows
  // (none: challenges are final). `credentials` must outlive this object.
  ChallengeRounds(sip::Message request, DigestCredentials* credentials);

  // The request to send now, a copy (the transaction layer takes the one it sends).
  sip::Message request() const { return current_.clone(); }
  // The CSeq number of request(); the next request of the same Call-ID must be higher.
  std::uint32_t cseq() const { return cseq_; }

  // Given what the request of the current round became: true when request() is now the next
  // round to send; false when `outcome` is final.
  bool next(const Outcome& outcome);

  // Why a challenge was final, for the user ("the server refused the credentials of alice");
  // empty when it was not.
  const std::string& note() const { return note_; }

 private:
  // `base_` with CSeq `cseq` and the current credentials. False (and note_ set) on failure.
  bool prepare(std::uint32_t cseq);

  sip::Message base_;  // the request as made, without credentials
  sip::Message current_;
  DigestCredentials* credentials_;
  std::uint32_t cseq_ = 0;
  std::size_t rounds_ = 0;
  // The realms answered in this exchange, as (header, realm).
  std::vector<std::pair<sip::HeaderId, std::string>> answered_;
  std::string note_;
};

}  // namespace osprey::client
