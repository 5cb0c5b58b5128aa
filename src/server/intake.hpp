#pragma once
// What becomes of bytes from the network before the transaction layer sees them (RFC 3261
// §18.3, §8.2, §16.3). Every byte here is hostile until parsed: a request too broken to go into
// a transaction gets a stateless error response when its Via can be read (so the answer can be
// routed back, §18.2.2), and is dropped otherwise; a broken response is always dropped.

#include <optional>
#include <string>
#include <string_view>

#include "net/flow.hpp"
#include "sip/message.hpp"

namespace osprey::server {

struct Intake {
  // Parsed, with a top Via, CSeq, Call-ID, From and To that the transaction layer can key on.
  std::optional<sip::Message> message;
  // Non-empty: a response to send back statelessly on the arrival flow (400 with the defect as
  // reason phrase, 505, 513, 501 for a CSeq/method mismatch).
  std::string reply;
  // Non-empty when the message was dropped without an answer: why, for the log and counters.
  std::string_view dropped;
};

// Parses one message and decides between the three outcomes above. The received/rport stamp
// (§18.2.1) is the caller's next step, on the returned request. With `arrival`, a reply built
// from a parsed request copies its top Via stamped for that flow (RFC 3581 §4: received and
// rport in every response), as the transaction layer's responses do.
Intake take_in(std::string_view bytes, const sip::ParseOptions& options, const net::Flow* arrival = nullptr);

// A keep-alive: bytes that are nothing but CR and LF (RFC 5626 §4.4.1's CRLFCRLF ping, the
// single CRLF many UAs send over UDP; RFC 3261 §7.5 lets CRLFs precede a message and says to
// ignore them). Not a malformed message: the caller drops it without a word. Empty: false.
bool is_keepalive(std::string_view bytes);

}  // namespace osprey::server
