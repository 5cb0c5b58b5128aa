#pragma once
// The Request-URI and route set of a stored MESSAGE delivered to one binding. Where it is sent
// is registrar::binding_hops (registrar/binding_hop.hpp), the rule live requests follow
// too, so stored messages reach a device the way its calls do.

#include <string>

#include "im/message_rules.hpp"
#include "store/binding.hpp"

namespace osprey::im {

// The Request-URI and route set of a MESSAGE to `binding` (RFC 3261 §16.5, RFC 3327), with
// `call_id` for the delivery.
DeliveryAddress delivery_address(const store::Binding& binding, std::string call_id);

}  // namespace osprey::im
