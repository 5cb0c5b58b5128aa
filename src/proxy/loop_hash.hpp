#pragma once
// RFC 3261 §16.6 step 8 / §16.3 step 4: the value a proxy uses to tell a loop from a spiral.
// Computed over the To tag, From tag, Call-ID, CSeq number, Request-URI (as received), top
// Route, Proxy-Require and Proxy-Authorization. Two requests that reach this proxy with our own
// Via in them and the same value are the same request coming round again: a loop (482). A
// spiral changed one of those fields (a new Request-URI after a retarget) and is forwarded.
//
// The transaction table picks osprey's branches itself, so the value is not put into the branch
// (as §16.6 step 8 suggests); the proxy keeps it with each request it is forwarding and compares
// while that request is still being forwarded, which is when a loop matters.

#include <cstdint>

#include "sip/message.hpp"

namespace osprey::proxy {

std::uint64_t loop_hash(const sip::Message& request);

}  // namespace osprey::proxy
