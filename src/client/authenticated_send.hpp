#pragma once
// Sending one request of a client tool through its Digest challenges (challenge_rounds.hpp)
// on the tools' user agent: waiting for the end (send_authenticated) or from the loop
// (send_authenticated_async, for the refreshes of `osprey listen`).

#include <cstdint>
#include <functional>

#include "client/digest_credentials.hpp"
#include "client/outcome.hpp"
#include "client/user_agent.hpp"
#include "sip/message.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::client {

// What the request became after its challenge rounds, and the CSeq it last went out with: a
// later request of the same Call-ID must use a higher one (RFC 3261 §10.2: a registrar refuses
// a REGISTER whose CSeq is not higher than the last).
struct AuthenticatedOutcome {
  Outcome outcome;
  std::uint32_t cseq = 0;
};

using AuthenticatedHandler = std::function<void(AuthenticatedOutcome)>;

// Sends `request` to `target` and answers its 401/407 challenges with `credentials` (null:
// challenges are final). When a challenge is final for a reason of ours (refused credentials,
// nothing to answer), the outcome's detail says so.
AuthenticatedOutcome send_authenticated(UserAgent& agent, sip::Message request, const txn::Target& target,
                                        DigestCredentials* credentials);

// The same from the loop; `done` is called once. `agent` and `credentials` must outlive it.
void send_authenticated_async(UserAgent& agent, sip::Message request, const txn::Target& target,
                              DigestCredentials* credentials, AuthenticatedHandler done);

}  // namespace osprey::client
