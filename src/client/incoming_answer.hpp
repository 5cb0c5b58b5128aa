#pragma once
// How `osprey listen` answers the requests that reach it, as a UAS that implements MESSAGE
// and OPTIONS only (RFC 3261 §8.2): the §8.2.2 checks first (416, 420), then MESSAGE 200
// (RFC 3428 §7) for the listener to print, OPTIONS 200 with Allow (§11.2), and 405 Method Not
// Allowed with Allow for every other method (§8.2.1).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sip/message.hpp"

namespace osprey::client {

// The methods the listener implements (§20.5 Allow).
inline constexpr std::string_view kListenAllow = "MESSAGE, OPTIONS";

struct IncomingAnswer {
  int status = 200;
  std::string reason;                                        // empty: the default phrase
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Allow", "MESSAGE, OPTIONS"}
  bool deliver = false;                                      // a MESSAGE accepted: its text is for the user
};

IncomingAnswer answer_for(const sip::Message& request);

// The response to `request` with `answer`, with `to_tag` in its To (§8.2.6.2).
sip::Result<sip::Message> build_answer(const sip::Message& request, const IncomingAnswer& answer,
                                       std::string_view to_tag);

}  // namespace osprey::client
