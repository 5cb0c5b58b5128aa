#pragma once
// What osprey answers itself instead of passing a request on: one shape for every layer that
// may refuse or answer a request (the checks of RFC 3261 §8.2 / §16.3, the registrar's §10.3
// refusals, RFC 3428 limits, access control's challenges and refusals, the pipeline's stages).
// The To tag and the rest of the response come from the request (§8.2.6).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sip/message.hpp"

namespace osprey::sip {

struct LocalReply {
  int status = 400;
  std::string reason;                                        // reason phrase; empty: the default
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Unsupported", "foo"}
};

// The response `reply` makes to `request` (§8.2.6: Via, From, To, Call-ID and CSeq copied, `to_tag`
// added to the To), serialized.
std::string serialize_reply(const Message& request, const LocalReply& reply, std::string_view to_tag = {});

}  // namespace osprey::sip
