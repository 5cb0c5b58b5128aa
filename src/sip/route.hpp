#pragma once
// Route, Record-Route (RFC 3261 §20.34, §20.30) and Path (RFC 3327 §4):
//   Route        = "Route" HCOLON route-param *(COMMA route-param)
//   route-param  = name-addr *( SEMI rr-param )
//   Record-Route = "Record-Route" HCOLON rec-route *(COMMA rec-route)
//   rec-route    = name-addr *( SEMI rr-param )
//   Path         = "Path" HCOLON path-value *(COMMA path-value)
//   path-value   = name-addr *( SEMI rr-param )
// Unlike Contact, the URI must be in <>: name-addr, never a bare addr-spec.

#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"
#include "sip/name_addr.hpp"
#include "sip/uri.hpp"

namespace osprey::sip {

// Parses one line's value of a route header; `header` names it in errors ("Route",
// "Record-Route", "Path"). At least one element is required; an empty element is an error.
Result<std::vector<NameAddr>> parse_route_list(std::string_view value, std::string_view header,
                                               std::size_t offset = 0);

// Every line of `id` (Route, Record-Route or Path) in `message` as one list, in order (RFC 3261
// §7.3.1: several lines are one list, top first). No such header is an empty list.
Result<std::vector<NameAddr>> routes(const Message& message, HeaderId id);

// True if `uri` is a SIP/SIPS URI with the lr parameter: the element it names is a loose router
// (RFC 3261 §19.1.1), so the Request-URI is left alone when routing to it (§16.4, §16.12).
bool is_loose_route(const Uri& uri);

}  // namespace osprey::sip
