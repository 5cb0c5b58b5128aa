#pragma once
// What `osprey listen` prints for one MESSAGE it received (RFC 3428): when it was sent, who
// sent it and its text, as one block:
//
//   Sat, 13 Nov 2010 23:29:00 GMT  Alice <sip:alice@example.com>
//     hello
//     second line
//
// Everything printed comes from the network, so control characters (terminal escapes) are
// shown escaped, never written raw.

#include <cstdint>
#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace osprey::client {

struct ReceivedMessage {
  std::string time;    // a SIP-date (RFC 3261 §20.17)
  std::string sender;  // "Alice <sip:alice@example.com>", or the URI alone without display name
  std::string text;    // the body when it is text; a note naming the type and size otherwise
};

// The time is the request's Date header when it has a valid one: a message stored and
// forwarded later carries its original submission time there (RFC 3428 §9 lets the sender
// include Date); else `received_unix_seconds`, when it arrived.
ReceivedMessage read_received_message(const sip::Message& request, std::int64_t received_unix_seconds);

// The block above, ending in a newline.
std::string format_received_message(const ReceivedMessage& message);

// `text` with C0 controls (but tab and line feed), DEL and carriage returns as \xNN.
std::string printable(std::string_view text);

}  // namespace osprey::client
