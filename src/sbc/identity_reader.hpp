#pragma once
// Where a call's caller identity is read from, in the order a trunk's IdentityPolicy names:
// P-Asserted-Identity (RFC 3325 §9.1), From (RFC 3261 §20.20), or Remote-Party-ID
// (draft-ietf-sip-privacy-04, expired but still what many PBXs and carriers send).

#include <optional>
#include <span>
#include <string_view>

#include "sbc/trunk.hpp"
#include "sip/error.hpp"
#include "sip/message.hpp"
#include "sip/name_addr.hpp"

namespace osprey::sbc {

// rpid = [display-name] LAQUOT addr-spec RAQUOT *(SEMI rpi-token), where rpi-token carries
// party=calling|called, screen=yes|no, privacy=full|name|uri|off, id-type (draft §6).
struct RemotePartyId {
  sip::NameAddr address;
  bool calling = true;             // party=calling, or no party parameter
  bool privacy_requested = false;  // privacy=full, name or uri
};
sip::Result<RemotePartyId> parse_remote_party_id(std::string_view element);

struct CallerIdentity {
  sip::NameAddr address;  // views into the inbound message
  IdentityHeader source = IdentityHeader::from;
  // The sender asked for the identity to be withheld in the header itself (Remote-Party-ID's
  // privacy parameter); the Privacy header is read by the caller.
  bool privacy_requested = false;
};

// The first identity found, trying `order` in turn. `believe_asserted`: a P-Asserted-Identity
// or Remote-Party-ID is taken only when it came from inside the trust domain (RFC 3325 §5);
// otherwise those headers are passed over as if absent. A header that does not parse is passed
// over too, and so is one osprey would not write again (identity_uri_text: a sip URI without a
// user, another scheme, too long).
std::optional<CallerIdentity> read_caller_identity(std::span<const IdentityHeader> order,
                                                   const sip::Message& inbound, bool believe_asserted);

}  // namespace osprey::sbc
