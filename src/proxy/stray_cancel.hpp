#pragma once
// A CANCEL that matched no transaction and is forwarded statelessly (RFC 3261 §16.10) carries
// only what identifies the request it cancels (§9.1: Request-URI, Call-ID, To, From, CSeq
// number, Route) and why (Reason, RFC 3326). Nobody authenticated it (§22.1: a CANCEL cannot be
// challenged), so anything more would reach the callee as an unauthenticated message channel:
// a body, Subject, Alert-Info, Call-Info.

#include <cstddef>

#include "sip/message.hpp"

namespace osprey::proxy {

// Removes the body and every header a CANCEL has no use for. Reason stays only when it is short
// and on one line (kMaxReasonBytes), at most two of them: its text would be free text too.
inline constexpr std::size_t kMaxReasonBytes = 128;
void strip_stray_cancel(sip::Message& cancel);

}  // namespace osprey::proxy
