#pragma once
// Which device a REGISTER Contact speaks for: its "+sip.instance" (RFC 5626 §4.1, RFC 5627 §3)
// and "reg-id" (RFC 5626 §4.2) parameters, read into a canonical key.
//
// Why: a UA over TCP/TLS registers a new Contact URI (its new ephemeral port) each time its
// connection drops. Matched by URI alone (RFC 3261 §10.3 step 7) every reconnection adds a binding
// and the dead ones pile up; matched by instance (RFC 5626 §6) the new one replaces the old.
//
// The values come from the network: a value that does not read as a URN of bounded length (or a
// reg-id that is not 1..2^31-1) makes the Contact one without an instance, matched by URI as in
// RFC 3261. Never an error: a UA's odd parameter must not cost it its registration.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/contact.hpp"

namespace osprey::registrar {

// Longer instance values are not instances (a UUID URN is 45 characters): it bounds what one
// binding can make the store keep.
inline constexpr std::size_t kMaxInstanceLength = 128;

struct ContactInstance {
  // The instance-id in canonical form: "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6".
  std::string instance;
  // RFC 5626 §4.2 reg-id, 1..2^31-1; 0 when the Contact has none.
  std::uint32_t reg_id = 0;
};

// The canonical form of a "+sip.instance" value as written (RFC 5626 §4.1:
// DQUOTE "<" instance-val ">" DQUOTE; the quotes and the angle brackets are stripped, and
// accepted when missing), or nullopt when it is not a URN (RFC 8141: "urn:" NID ":" NSS).
// "urn:" and the NID are case-insensitive (RFC 8141 §3.1) and written in lower case; a "uuid"
// URN must hold an RFC 4122 UUID, whose hex digits are case-insensitive (§3) and written in
// lower case; the NSS of other namespaces is kept as written.
std::optional<std::string> canonical_instance(std::string_view written);

// The instance and reg-id of `contact`, or nullopt when it has no valid "+sip.instance" or has a
// reg-id that is not 1..2^31-1 (the key would be ambiguous: such a Contact is matched by URI).
std::optional<ContactInstance> contact_instance(const sip::Contact& contact);

}  // namespace osprey::registrar
