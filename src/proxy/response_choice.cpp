#include "proxy/response_choice.hpp"

namespace osprey::proxy {

namespace {
int rank(int status) {
  const int response_class = status / 100;
  if (response_class == 6) return 0;
  int value = response_class * 10;
  if (status == 401 || status == 407 || status == 415 || status == 420 || status == 484) return value - 1;
  // RFC 5626 §5.3: 430 says only that one device's flow is gone; any other answer of the
  // class says more about the user.
  if (status == 430) return value + 1;
  // 503 is turned into 500 when it goes upstream (§16.7 step 6); it ranks with the 5xx.
  return value;
}
}  // namespace

bool better_response(int candidate, int kept) {
  if (kept == 0) return true;
  return rank(candidate) < rank(kept);
}

bool better_final(bool invite, int candidate, int kept) {
  // RFC 4320 §4.2: a non-INVITE is never answered 408 by a proxy, so any other final response
  // of a branch is the better one to pass on.
  if (!invite && kept != 0) {
    if (candidate == 408) return false;
    if (kept == 408) return true;
  }
  return better_response(candidate, kept);
}

FinalAnswer choose_final(bool cancelled, bool have_response, int best_status) {
  if (cancelled && (!have_response || best_status == 503)) {
    // §16.10: the cancelled INVITE ends with 487; osprey makes it only when no branch gave a
    // final response of its own (the usual one being the callee's 487, forwarded as §16.7
    // step 6 wants, with the callee's To tag).
    return {false, 487, "Request Terminated"};
  }
  // RFC 5626 §11.5: 430 (Flow Failed) "should not be seen by an endpoint". Every branch that
  // ended so lost a binding with its flow (§5.3): the user is as unreachable as one with no
  // binding, which §16.5 answers 480.
  if (best_status == 430) return {false, 480, "Temporarily Unavailable"};
  if (have_response && best_status != 503) return {true, best_status, {}};
  // §16.7 step 6: a 503 is not passed on (it would make the client think we are overloaded);
  // the proxy answers 500 instead. No branch at all (cannot happen with a non-empty target
  // set) is an unreachable user.
  if (best_status == 503) return {false, 500, {}};
  if (best_status == 0) return {false, 480, {}};
  return {false, best_status, {}};
}

void collect_challenges(std::vector<BranchChallenge>& challenges, std::size_t branch,
                        const sip::Message& response) {
  for (const sip::HeaderId header : {sip::HeaderId::www_authenticate, sip::HeaderId::proxy_authenticate}) {
    response.for_each_line(header, [&](std::string_view value) {
      challenges.push_back({branch, header, std::string(value)});
      return true;
    });
  }
}

void add_other_challenges(sip::Message& best, const std::vector<BranchChallenge>& challenges,
                          std::size_t best_branch) {
  for (const BranchChallenge& challenge : challenges) {
    if (challenge.branch != best_branch) best.add_header(challenge.header, challenge.value);
  }
}

}  // namespace osprey::proxy
