#pragma once
// CANCEL (RFC 3261 §9), beside the ACK of ack_builder.hpp: the CANCEL a client sends for its
// INVITE (§9.1), and the 487 that ends an INVITE a CANCEL terminated (§9.2), built from that
// CANCEL.

#include <optional>
#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace osprey::txn {

// §9.1: Request-URI, Call-ID, To, From and the CSeq number of `invite` (the request as sent);
// one Via, the INVITE's top one (its branch lets the next hop match the CANCEL to the INVITE,
// §9.2); the INVITE's Route values; CSeq method CANCEL. Fields the INVITE lacks are left out.
std::string build_cancel(const sip::Message& invite);

// §9.2: "the UAS SHOULD then respond to the INVITE with a 487". The response copies the
// CANCEL's Via, From, To and Call-ID, which equal the INVITE's (§9.1), with the INVITE's CSeq
// (the CANCEL's number, method INVITE) and `to_tag`. nullopt for a CANCEL without CSeq.
std::optional<sip::Message> response_to_cancelled_invite(const sip::Message& cancel, std::string_view to_tag);

}  // namespace osprey::txn
