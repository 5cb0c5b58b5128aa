#pragma once
// Where a delivered MESSAGE goes for one binding, as a URI for net::TargetResolver (which posts
// IP literals back at once and looks host names up off the event loop). The same choice the
// proxy makes for live traffic (proxy/target_set.hpp), so stored messages reach a device the
// way its calls do:
//  - RFC 3327 §5.3: with a Path, the first Path URI (a loose router);
//  - else the flow its REGISTER came from ("udp:192.0.2.1:5060" -> "sip:192.0.2.1:5060;
//    transport=udp"): reaches UAs behind NAT, whose Contact address is unreachable;
//  - else the Contact URI itself.

#include <string>

#include "im/message_rules.hpp"
#include "registrar/binding.hpp"

namespace osprey::im {

std::string next_hop_uri(const registrar::Binding& binding);

// The Request-URI and route set of a MESSAGE to `binding` (RFC 3261 §16.5, RFC 3327), with
// `call_id` for the delivery.
DeliveryAddress delivery_address(const registrar::Binding& binding, std::string call_id);

}  // namespace osprey::im
