#pragma once
// RFC 3261 §16.7: which response of the ones a proxy collected goes upstream, and what it
// carries.
//  - step 6: when no 2xx came, a 6xx if there is one; else the lowest class; within 4xx, 401,
//    407, 415, 420 and 484 first (they say what the client can fix). Earlier responses win
//    ties. RFC 4320 §4.2: for a non-INVITE, any other final beats a 408 (never sent upstream).
//  - step 6 again: a 503 is not passed on, the proxy answers 500; §16.10: a cancelled INVITE no
//    branch answered ends with the proxy's own 487.
//  - step 7: a forwarded 401/407 carries the challenges of every other branch's 401/407.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace osprey::proxy {

// True when a final response with status `candidate` is better than the one kept (`kept`,
// 0 for none).
bool better_response(int candidate, int kept);

// better_response, with RFC 4320 §4.2 for a non-INVITE (`invite` false): 408 loses to any other.
bool better_final(bool invite, int candidate, int kept);

// What goes upstream once every branch ended without a 2xx.
struct FinalAnswer {
  bool forward_best = false;  // the best response a branch sent, as it is (plus step 7)
  int status = 0;             // else the proxy's own response with this status
  std::string_view reason;    // and this reason phrase (empty: the standard one)
};
// `best_status`: the best final so far (0: none); `have_response`: a branch sent it (else the
// proxy made the status up for a branch that never reached anyone: 403, 482, 503...).
FinalAnswer choose_final(bool cancelled, bool have_response, int best_status);

// §16.7 step 7: a WWW-Authenticate or Proxy-Authenticate value and the branch it came from.
struct BranchChallenge {
  std::size_t branch;
  sip::HeaderId header;
  std::string value;
};
// Keeps the challenges of a 401/407 from `branch`.
void collect_challenges(std::vector<BranchChallenge>& challenges, std::size_t branch,
                        const sip::Message& response);
// Adds to `best` (the response of `best_branch`) the other branches' challenges, unmodified, so
// the client can answer them all in one retry.
void add_other_challenges(sip::Message& best, const std::vector<BranchChallenge>& challenges,
                          std::size_t best_branch);

}  // namespace osprey::proxy
