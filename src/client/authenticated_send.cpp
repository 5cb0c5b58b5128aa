#include "client/authenticated_send.hpp"

#include <memory>

#include "client/challenge_rounds.hpp"

namespace osprey::client {

namespace {

AuthenticatedOutcome final_outcome(Outcome outcome, const ChallengeRounds& rounds) {
  if (!rounds.note().empty()) outcome.detail = rounds.note();
  return AuthenticatedOutcome{std::move(outcome), rounds.cseq()};
}

// The rounds of one asynchronous request, kept alive by the handler of the round in flight.
struct AsyncExchange {
  UserAgent& agent;
  txn::Target target;
  ChallengeRounds rounds;
  AuthenticatedHandler done;
};

void send_round(const std::shared_ptr<AsyncExchange>& exchange) {
  exchange->agent.send_async(exchange->rounds.request(), exchange->target, [exchange](Outcome outcome) {
    if (exchange->rounds.next(outcome)) {
      send_round(exchange);
      return;
    }
    AuthenticatedHandler done = std::move(exchange->done);
    done(final_outcome(std::move(outcome), exchange->rounds));
  });
}

}  // namespace

AuthenticatedOutcome send_authenticated(UserAgent& agent, sip::Message request, const txn::Target& target,
                                        DigestCredentials* credentials) {
  ChallengeRounds rounds(std::move(request), credentials);
  Outcome outcome = agent.send(rounds.request(), target);
  while (rounds.next(outcome)) outcome = agent.send(rounds.request(), target);
  return final_outcome(std::move(outcome), rounds);
}

void send_authenticated_async(UserAgent& agent, sip::Message request, const txn::Target& target,
                              DigestCredentials* credentials, AuthenticatedHandler done) {
  send_round(std::make_shared<AsyncExchange>(
      AsyncExchange{agent, target, ChallengeRounds(std::move(request), credentials), std::move(done)}));
}

}  // namespace osprey::client
