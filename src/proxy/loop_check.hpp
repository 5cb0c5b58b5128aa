#pragma once
// RFC 3261 §16.3 step 4: loop detection. A request with osprey's own sent-by in a Via has been
// here before; it is a loop (482) rather than a spiral when it also has the same loop_hash as a
// request osprey is still forwarding (proxy/loop_hash.hpp). The proxy keeps the hashes of the
// requests it forwards; this file says whether a request passed through osprey.

#include "net/local_identity.hpp"
#include "sip/message.hpp"

namespace osprey::proxy {

// True when one of the request's Via values names osprey (its sent-by, §18.1.1, with the
// default port of the Via's transport when it has none).
bool passed_through_us(const sip::Message& request, const net::LocalIdentity& identity);

}  // namespace osprey::proxy
