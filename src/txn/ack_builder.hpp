#pragma once
// The ACK a client INVITE transaction sends for a 300-699 response (RFC 3261 §17.1.1.3). An ACK
// for a 2xx is a new transaction built by the TU (§13.2.2.4), not this.

#include <optional>
#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace osprey::txn {

// `invite` is the request as sent (its parsed fields must describe the bytes on the wire);
// `response` is the 300-699 answer. Fields the INVITE lacks are left out; a response without
// To falls back to the INVITE's To.
std::string build_ack_for_failure(const sip::Message& invite, const sip::Message& response);

// What the ACK for a failure and the CANCEL (txn/cancel_builder.hpp) share: a request of the
// INVITE's own transaction with `method`, the INVITE's Request-URI, top Via, Route, From, Call-ID
// and CSeq number, Max-Forwards 70, and `to` as To (nullopt: the INVITE's).
std::string build_in_invite_transaction(std::string_view method, const sip::Message& invite,
                                        std::optional<std::string_view> to);

}  // namespace osprey::txn
