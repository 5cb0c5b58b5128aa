#pragma once
// The ACK a client INVITE transaction sends for a 300-699 response (RFC 3261 §17.1.1.3). An ACK
// for a 2xx is a new transaction built by the TU (§13.2.2.4), not this.

#include <string>

#include "sip/message.hpp"

namespace osprey::txn {

// `invite` is the request as sent (its parsed fields must describe the bytes on the wire);
// `response` is the 300-699 answer. Fields the INVITE lacks are left out; a response without
// To falls back to the INVITE's To.
std::string build_ack_for_failure(const sip::Message& invite, const sip::Message& response);

}  // namespace osprey::txn
