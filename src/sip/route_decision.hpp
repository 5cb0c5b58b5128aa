#pragma once
// RFC 3261 §16.4 route information processing, done once per request before anything judges
// it: access control authorises the request's effective target and next hop, and the proxy
// forwards to exactly those. Judging the raw Request-URI instead let a strict-routing form
// (Request-URI: osprey, Route: <sip:+44900...@osprey>) reach a gateway no check had seen.
//
//  - "If the Request-URI contains a value this proxy previously placed into a Record-Route
//    header field, the proxy MUST replace the Request-URI in the request with the last value
//    from the Route header field, and remove that value": the previous hop was a strict router.
//    Only a URI of ours with the osp-dt parameter is such a value: every Record-Route URI osprey
//    writes carries it (the dialog token, security/dialog_token.hpp). A plain URI of ours is a
//    request for osprey itself: a phone's keep-alive "OPTIONS sip:osprey" with its outbound
//    proxy as "Route: <sip:osprey;lr>" is answered, not rewritten into a request for its own
//    Route. A forged osp-dt gains nothing: the rewritten request is judged on its effective
//    target like any other, and the token itself is verified by access control (HMAC).
//  - "If the first value in the Route header field indicates this proxy, the proxy MUST remove
//    that value": every leading one (osprey record-routes twice when the transport changes, and
//    a UA may name osprey as its outbound proxy before the dialog's route set).
// The URIs of ours consumed on the way may carry a dialog token (security/dialog_token.hpp);
// they are collected for access control.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/uri.hpp"

namespace osprey::sip {

// What route processing needs to know of the element running it (§16.4 "indicates this proxy"):
// which URIs name it. The server's answer is net::LocalIdentity; sip/ itself knows no addresses.
class OurUris {
 public:
  // A sip/sips URI that names this element; the port defaults per scheme and transport.
  virtual bool is_ours(const Uri& uri) const = 0;

 protected:
  OurUris() = default;
  OurUris(const OurUris&) = default;
  OurUris& operator=(const OurUris&) = default;
  ~OurUris() = default;
};

// The URI parameter that marks a Record-Route URI as osprey's: what tells a Record-Route value
// of ours from a plain URI of ours. It carries the dialog token (security::DialogToken::kParam
// is this name).
inline constexpr std::string_view kRecordRouteParam = "osp-dt";

// The URI parameter of the Path URI osprey adds to a REGISTER it forwards (RFC 3327, RFC 5626
// §5.2): the flow token (security::DialogToken::sign_flow) naming the flow the REGISTER came on.
inline constexpr std::string_view kPathFlowParam = "osp-flow";

struct RouteDecision {
  std::string request_uri;          // after the strict-router fix-up
  std::vector<std::string> routes;  // the Route values left, top first, as written
  bool routes_changed = false;      // the Route header must be rewritten from `routes`
  std::string next_hop;             // the URI the request goes to next: the top Route left, else request_uri
  std::vector<std::string> tokens;  // dialog tokens on the URIs of ours that were consumed
  // Flow tokens (kPathFlowParam) on the Route URIs of ours that were consumed: a request coming
  // back along a Path osprey added.
  std::vector<std::string> flow_tokens;
};

// A URI osprey put in a Record-Route (§16.4): one of ours, no user part, with osp-dt.
bool placed_in_record_route(const Uri& uri, const OurUris& ours);

// nullopt when the Route header does not parse (400 Bad Route).
std::optional<RouteDecision> decide_route(const Message& request, const OurUris& ours);

// Route values as one header value, comma-separated in order (RFC 3261 §7.3.1).
std::string join_routes(const std::vector<std::string>& values);

// The Route header of `message` rewritten from the decision (§16.4 removals), if it changed.
void apply_routes(Message& message, const RouteDecision& decision);

// Both at once, for a request nothing judged before it is forwarded (the ACK for a 2xx, which
// follows its dialog's route set, §13.2.2.4): decided and applied to `request`; nullopt, and
// `request` unchanged, when its Route header does not parse.
std::optional<RouteDecision> process_routes(Message& request, const OurUris& ours);

}  // namespace osprey::sip
