#pragma once
// The answer to a request whose framing broke on a stream (RFC 3261 §18.3, §20.14: a missing or
// bad Content-Length). The stream cannot be resynchronised, so the connection closes; before it
// does, a request with a readable Via gets a stateless 400 (513 when too large) naming the
// defect, so the peer learns why instead of seeing a bare close.

#include <cstddef>
#include <string>
#include <string_view>

#include "sip/error.hpp"

namespace osprey::net {

// `unconsumed` is what the framer had not handed out yet (the broken message starts there).
// Empty when no answer can be built safely: no complete header section, a response, an ACK
// (§17.1.1.3: never answered), no readable Via, or the error carries no server status.
std::string stream_error_reply(std::string_view unconsumed, const sip::ParseError& error,
                               std::size_t max_message_size);

}  // namespace osprey::net
