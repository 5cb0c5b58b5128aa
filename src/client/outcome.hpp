#pragma once
// What became of one request the client tools sent, and the process exit code it means. The
// codes are the same for `osprey options`, `osprey register` and `osprey message`:
//   0  a 2xx final response
//   1  a final response other than 2xx (the status and reason are printed)
//   2  usage: bad command line, bad URI
//   3  no final response: timeout (Timer F, RFC 3261 §17.1.2.2, or --timeout) or the server is
//      unreachable (transport error, §17.1.4; a name that does not resolve)

#include <optional>
#include <string>

#include "sip/message.hpp"

namespace osprey::client {

inline constexpr int kExitSuccess = 0;
inline constexpr int kExitRejected = 1;
inline constexpr int kExitBadUsage = 2;
inline constexpr int kExitNoAnswer = 3;

// usage: the request could not even be formed or addressed (bad URI, unsupported transport).
enum class Failure { none, usage, timeout, unreachable };

struct Outcome {
  std::optional<sip::Message> response;  // the final response, when one came
  Failure failure = Failure::none;       // why there is none
  // For the user: what failed and why; with a 401/407 response, why that challenge was final
  // (challenge_rounds.hpp).
  std::string detail;
};

// The exit code of the list above.
int exit_code_of(const Outcome& outcome);

// "SIP/2.0 200 OK" for a response; the failure with its detail otherwise.
std::string describe(const Outcome& outcome);

}  // namespace osprey::client
