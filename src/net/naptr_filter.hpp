#pragma once
// Which NAPTR records of a domain osprey can use, and in what order (RFC 3263 §4.1): the SIP
// services over the transports osprey speaks (UDP, TCP, TLS, and WebSocket by RFC 7118's
// "SIP+D2W" / "SIPS+D2W"), only "SIPS+" ones for a sips: URI, only the
// "S" flag (the replacement is an SRV name), sorted by order, then preference (RFC 3403 §4.1).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/dns_records.hpp"
#include "net/flow.hpp"

namespace osprey::net {

struct NaptrChoice {
  Protocol protocol = Protocol::udp;
  std::string srv_name;  // the replacement, where the SRV query goes
  friend bool operator==(const NaptrChoice&, const NaptrChoice&) = default;
};

// The protocol of a NAPTR service field (RFC 3263 §4.1; RFC 7118 for D2W), or nullopt for
// one osprey does not speak or that `secure_uri` excludes. Case-insensitive.
std::optional<Protocol> protocol_of_naptr_service(std::string_view service, bool secure_uri);

// The usable records as choices, in the order to try them; at most `max_choices`.
std::vector<NaptrChoice> usable_naptr_choices(const std::vector<NaptrRecord>& records, bool secure_uri,
                                              std::size_t max_choices);

}  // namespace osprey::net
