#pragma once
// What a registrar's 200 to a REGISTER granted, read by the UA side (RFC 3261 §10.2.4): the
// client tools (client/registration_refresh.hpp) and osprey registering to a trunk
// (sbc/trunk_registration.hpp).

#include <cstdint>
#include <string_view>

#include "sip/message.hpp"

namespace osprey::registrar {

// The seconds the registrar granted `contact`: §10.2.4, the expires parameter of the 200's
// Contact for it, else the 200's Expires header, else `requested` (what was asked).
std::uint32_t granted_expires(const sip::Message& ok, std::string_view contact, std::uint32_t requested);

}  // namespace osprey::registrar
