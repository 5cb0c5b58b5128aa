#pragma once
// An error response to a request too broken to parse (RFC 3261 §8.2.6.2, §18.3): built from the
// raw header lines, copying Via, From, To, Call-ID and CSeq, so a peer learns why its request
// was refused even when osprey cannot make a Message of it.

#include <string>
#include <string_view>

namespace osprey::sip {

// Empty when no answer can be sent: the input is a response or an ACK (§17.1.1.3: never
// answered), or has no readable Via (nowhere to route the answer, §18.2.2). A CSeq that does not
// parse is replaced by "0 <method>" so the answer itself is well formed; the To tag added is a
// hash of the input, so a retransmission gets the same answer. The reason phrase is sanitised
// (no CR/LF can inject a header).
std::string stateless_reply(std::string_view raw, int status, std::string_view reason);

}  // namespace osprey::sip
