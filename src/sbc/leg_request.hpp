#pragma once
// Messages built for one leg from scratch (topology hiding): nothing of the other leg's
// transport or routing (Via, Route, Record-Route, Contact, Call-ID, tags, CSeq, Path,
// User-Agent, Server, addresses) crosses; only an allow-list of end-to-end headers and the body.

#include <cstdint>
#include <string>
#include <string_view>

#include "sbc/leg.hpp"
#include "sbc/session_timer_negotiation.hpp"
#include "sip/builder.hpp"
#include "sip/message.hpp"
#include "sip/name_addr.hpp"

namespace osprey::sbc {

// Copies the end-to-end headers of `from` that may cross legs (RFC 3261 §20 headers that name
// no host of the sending side: Accept, Allow, Supported, Require, Content-Disposition,
// Subject, Priority, Privacy, Event, Subscription-State, RSeq, Reason, Retry-After,
// Unsupported, Info-Package, Recv-Info...) and its body with its Content-Type. RFC 4028 is per
// leg: Session-Expires and Min-SE never cross, nor "timer" in Supported and Require (each leg
// gets its own, add_timer_headers).
void copy_end_to_end(const sip::Message& from, sip::MessageBuilder& to);

// A leg's own RFC 4028 headers (sbc/session_timer_negotiation.hpp) into what is built for it.
void add_timer_headers(const TimerHeaders& headers, sip::MessageBuilder& to);

// `leg` remembers the session description `sent` carries, if any (sbc/leg.hpp: Leg::sdp).
void remember_sdp(Leg& leg, const sip::Message& sent);

// A request osprey sends on `leg` (§12.2.1.1): Request-URI the remote target, Route the route
// set, From/To/Call-ID of the leg (`local_tag` in From, `remote_tag` in To: an early dialog's
// may differ from the leg's own), CSeq `cseq`, Max-Forwards, and osprey's Contact for
// `with_contact` (dialog-creating requests and target refreshes, §12.2).
sip::MessageBuilder leg_request(const Leg& leg, std::string_view method, std::uint32_t cseq,
                                std::string_view local_tag, std::string_view remote_tag, bool with_contact,
                                std::uint32_t max_forwards = 70);

// The element written back without its tag parameter ("\"Alice\" <sip:a@x>;foo=1").
std::string without_tag(const sip::NameAddr& name_addr);

// osprey's Contact value naming a leg: "<sip:b2b.w0.<id>@host:port;transport=tcp>".
std::string leg_contact(unsigned worker, std::string_view leg_id, net::Protocol protocol,
                        const net::Endpoint& at);

// The first URI of a Contact header value ("<sip:x@y>;expires=1" -> "sip:x@y"); empty when
// there is none to read.
std::string contact_uri(const sip::Message& message);

// RFC 3261 §12.1.1 / §12.1.2: the Record-Route values of `message` as a route set, in order
// (`reverse`: a UAC reverses the order of a response's).
std::vector<std::string> route_set_of(const sip::Message& message, bool reverse);

}  // namespace osprey::sbc
