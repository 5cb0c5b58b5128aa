#include "client/outcome.hpp"

namespace osprey::client {

int exit_code_of(const Outcome& outcome) {
  if (outcome.response) {
    const int status = outcome.response->status();
    return status >= 200 && status < 300 ? kExitSuccess : kExitRejected;
  }
  return outcome.failure == Failure::usage ? kExitBadUsage : kExitNoAnswer;
}

std::string describe(const Outcome& outcome) {
  if (outcome.response) {
    return "SIP/2.0 " + std::to_string(outcome.response->status()) + " " +
           std::string(outcome.response->reason());
  }
  std::string text = outcome.failure == Failure::timeout ? "timeout"
                     : outcome.failure == Failure::usage ? "error"
                                                         : "unreachable";
  if (!outcome.detail.empty()) text += ": " + outcome.detail;
  return text;
}

}  // namespace osprey::client
