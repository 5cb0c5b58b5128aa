#pragma once
// RFC 3261 §16.5 and §16.7 step 4: a proxy may recurse on the Contacts of a 3xx, adding them
// to the request's target set. A 3xx is whatever the next hop wrote, so each Contact is judged
// as the request's own target was by the access control, before it becomes a target:
//  - sip:/sips: only (a sips: request only to sips:), no URI headers (RFC 3261 §19.1.5: they
//    would become header fields of the request), never "*";
//  - never one of our served domains or osprey itself: a served user's targets come from the
//    location service, which a 3xx must not bypass (and it would loop);
//  - every telephone number it dials passes the dial policy for the authenticated caller, as
//    the request's own number did (toll fraud by redirection); only a clean number that passed
//    may then reach the gateway's address (checked per hop, proxy_forward.cpp);
//  - a Request-URI already in the target set is not added again (§16.5);
//  - at most `room` of them, each `depth` redirections deep (bounded by the caller).
// Where its hops lead is judged per hop when the branch is sent (proxy_forward.cpp): the
// gateway rules, osprey itself, and, for a 3xx that came from a public address, no private or
// loopback address (a redirection must not point osprey into the network behind it).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/local_identity.hpp"
#include "proxy/target_set.hpp"
#include "security/dial_policy.hpp"
#include "sip/message.hpp"

namespace osprey::proxy {

struct RedirectSettings {
  bool recurse = true;                          // [proxy] recurse_on_redirect
  std::size_t max_targets = 5;                  // [proxy] max_redirect_targets: new targets per request
  static constexpr std::uint8_t kMaxDepth = 3;  // a redirection of a redirection of...
};

struct RedirectRules {
  const net::LocalIdentity& identity;
  const security::DialPolicy* dial_policy = nullptr;  // null: no policy
  std::string_view caller;                // the authenticated AOR; empty: a trusted peer or no authentication
  bool tls_only = false;                  // a sips: request
  std::size_t room = 0;                   // targets that may still be added
  std::uint8_t depth = 1;                 // of the new targets
  bool public_only = false;               // the 3xx came from a public address
  const std::vector<std::string>& known;  // Request-URIs already in the target set
};

// The targets the 3xx `response` adds, in its Contacts' order (highest q first).
std::vector<ForwardTarget> redirect_targets(const sip::Message& response, const RedirectRules& rules);

// RFC 1918 and the other ranges registrar::is_private_address names, loopback included:
// nothing a public next hop may send osprey to.
bool is_public_address(const boost::asio::ip::address& address);

}  // namespace osprey::proxy
