#pragma once
// The rules of RFC 3428 pager-mode MESSAGE that osprey's store-and-forward applies, as pure
// functions over parsed messages: no I/O, no clock, so each rule is tested on its own.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/local_reply.hpp"
#include "sip/message.hpp"
#include "store/message_store.hpp"

namespace osprey::im {

struct ImLimits {
  // A configured maximum body size, 64 KiB by default. RFC 3428 §7 leaves the size to
  // policy; larger content belongs in a session (MSRP), not a MESSAGE.
  std::size_t max_body_bytes = 64 * 1024;
  // RFC 3428 store-and-forward for a served user whose devices are silent: after this long
  // without a final response from any branch, the MESSAGE is stored and answered 202, well
  // before the sender's Timer F (64*T1, 32 s) makes it report failure and send it again.
  // Zero: only when every branch has ended.
  std::chrono::milliseconds delivery_timeout{4000};
};

// RFC 3428 §7 / RFC 3261 §21.4.11: a body above the limit gets 413 Request Entity Too Large.
// nullopt when the request may go on.
std::optional<sip::LocalReply> check_message(const sip::Message& request, const ImLimits& limits);

// RFC 3994: a typing notification (Content-Type application/im-iscomposing+xml, any case, any
// parameters). It is only meaningful now, so it is forwarded but never stored: the caller
// answers 480 instead of storing it.
bool is_typing_notification(const sip::Message& request);

// The stored form of a MESSAGE for `aor` submitted at `now` (seconds since the epoch): From and
// To header values as received (RFC 3428 §7: the recipient sees the original sender), the
// Content-Type value, the body and the other end-to-end headers (im/end_to_end_headers.hpp).
// The id is left 0: the store assigns it.
store::StoredMessage stored_from(const sip::Message& request, std::string_view aor, std::int64_t now);

// What a delivered MESSAGE needs besides the stored message.
struct DeliveryAddress {
  std::string request_uri;          // the binding's Contact URI (RFC 3261 §16.5)
  std::vector<std::string> routes;  // RFC 3327: the binding's Path values, sent as Route in order
  std::string call_id;              // new for each delivery: it is a new request, not a retransmission
};

// RFC 3428 §7: the stored message as a new out-of-dialog MESSAGE from osprey: the original From
// (with its tag: the recipient identifies the sender by it), the original To without its tag
// (RFC 3261 §8.1.1.2: a request outside a dialog has no To tag), a new Call-ID, CSeq 1 MESSAGE,
// Max-Forwards 70, Date set to the original submission time (RFC 3261 §20.17) so the recipient
// can tell when it was written, the stored end-to-end headers in their original order, and the
// stored Content-Type and body. No Via: the transaction table adds it.
sip::Result<sip::Message> delivery_request(const store::StoredMessage& message,
                                           const DeliveryAddress& address);

// The To value `to` without its tag parameter (the other parameters kept); `to` unchanged when
// it does not parse (it parsed once when the MESSAGE arrived, so this does not happen).
std::string without_tag(std::string_view to);

}  // namespace osprey::im
