#pragma once
// Keys that match messages to transactions (RFC 3261 §17.1.3, §17.2.3), to the INVITE a CANCEL
// cancels (§9.2), and to requests merged by forking (§8.2.2.2). Two messages match when their
// keys are equal, so a transaction table is a hash map from key to transaction.
//
// A key is empty when the message lacks what the key is made of (top Via, CSeq): such a
// message matches nothing and should be rejected by the sanity checks (400) before it gets here.

#include <optional>
#include <string>

#include "sip/message.hpp"

namespace osprey::txn {

// §17.2.3. With an RFC 3261 branch (magic cookie): branch + sent-by + method, where ACK counts
// as INVITE (it belongs to the INVITE transaction, for a 300-699) and CANCEL keeps its own.
// Without the cookie, RFC 2543 matching: Request-URI, To tag, From tag, Call-ID, CSeq number
// and method (ACK as INVITE), top Via. The ACK's To tag is the one of the server's response,
// which the INVITE did not carry, so for INVITE and ACK the To tag is left out of the key
// (Call-ID, From tag, CSeq and Via still single out the transaction); the owner may compare
// the ACK's To tag with the response's if it needs the full §17.2.3 test.
std::string server_key(const sip::Message& request);

// §17.1.3: the top Via branch + the CSeq method. Works on a request as well, so the client
// transaction is stored under client_key(request as sent) and found by client_key(response).
// Empty without a branch: osprey's own requests always carry one (§8.1.1.7), so a response
// without it answers nothing osprey sent.
std::string client_key(const sip::Message& response);
// The same key from its parts: the branch of the top Via and the CSeq method.
std::string client_key(std::string_view branch, std::string_view method);

// §9.2: the key of the INVITE server transaction a CANCEL refers to: the CANCEL's own server
// key with method INVITE.
std::string invite_key_for_cancel(const sip::Message& cancel);

// §8.2.2.2: for a request without To tag, From tag + Call-ID + CSeq. A second request with the
// same merge key but a different server key arrived by another path (forking): answer 482.
// nullopt for a request with a To tag (in-dialog) or without those headers.
std::optional<std::string> merge_key(const sip::Message& request);

}  // namespace osprey::txn
