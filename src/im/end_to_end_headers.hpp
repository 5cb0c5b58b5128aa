#pragma once
// The header fields a stored MESSAGE keeps for its delivery (RFC 3428 §7 pager-mode
// store-and-forward): every end-to-end header of the original request, so the recipient gets
// what the sender wrote (Subject, Content-Encoding: gzip, Content-Disposition, extensions...),
// and none of the fields that belonged to the original hop, transaction or proxy.
//
// Not kept, because the delivery is a new request from osprey (RFC 3261 §16.6, Tables 2 and 3
// of §20, RFC 3428 §7) or because they are stored apart:
//  - hop-by-hop routing: Via, Route, Record-Route, Path, Max-Forwards (new hop count);
//  - the transaction: Call-ID, CSeq (new for each delivery), Timestamp (measures the original
//    hop's round trip);
//  - the request's own framing and identity, written anew: From, To, Content-Type (stored in
//    their own columns), Content-Length (recomputed), Date (set from the submission time);
//  - Contact: a MESSAGE outside a dialog names no target to come back to, and the stored one
//    would point at wherever the sender was then;
//  - what was meant for this server, not for the recipient: Authorization,
//    Proxy-Authorization (the sender's credentials must not travel on), Proxy-Require,
//    Security-Client/Server/Verify (RFC 3329, per hop);
//  - identity assertions (RFC 3325 §5): P-Asserted-Identity, P-Preferred-Identity,
//    Remote-Party-ID are valid within the trust domain at the moment they were vouched for;
//    stored, they would be replayed later to a device that believes them.
// Everything else is kept in order: Subject, Content-Encoding, Content-Language,
// Content-Disposition, MIME-Version, Require and Supported (osprey answered the sender as the UAS
// would, 420 for what it does not support), Expires, Priority, In-Reply-To, Reply-To, User-Agent,
// Identity, and unknown extension headers (a proxy forwards headers it does not know, RFC 3261
// §16.6).
//
// The stored form is text, one "Name: value" line each, CRLF-terminated; a folded value
// (RFC 3261 §7.3.1) is unfolded so each line is one header. Its size counts against the
// recipient's byte quota, and is bounded by kMaxStoredHeaderBytes.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace osprey::im {

// A MESSAGE whose end-to-end headers need more room is not stored (513): a legitimate client
// never comes close, and the bound keeps each stored row small whatever the message limit.
inline constexpr std::size_t kMaxStoredHeaderBytes = 8 * 1024;

// Whether a header named `name` travels with a stored message (see above).
bool is_end_to_end(std::string_view name);

// The end-to-end headers of `request` in their stored form ("" if none).
std::string end_to_end_headers(const sip::Message& request);

// Calls visit(name, value) for each line of a stored form written by end_to_end_headers; lines
// that do not have that shape (a damaged row) are skipped.
void for_each_stored_header(std::string_view stored,
                            const std::function<void(std::string_view name, std::string_view value)>& visit);

}  // namespace osprey::im
