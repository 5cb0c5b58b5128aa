#pragma once
// The TTLs of a raw DNS answer (RFC 1035 §4.1), which c-ares 1.18 does not give for NAPTR and
// SRV records: read straight from the message, bounds-checked at every step, because the
// message comes from the network and anyone who controls a domain writes it.

#include <cstdint>
#include <optional>
#include <span>

namespace osprey::net {

struct DnsTtls {
  // The smallest TTL of the answer section's records (a CNAME chain included: the answer is
  // only as fresh as its least fresh link); unset when the section is empty.
  std::optional<std::uint32_t> answer;
  // RFC 2308 §5: how long a negative answer may be cached, min(SOA TTL, SOA MINIMUM) of the
  // SOA record in the authority section; unset without one.
  std::optional<std::uint32_t> negative;
};

// Unset when the message is malformed (truncated, a bad name, counts that overrun it).
std::optional<DnsTtls> read_dns_ttls(std::span<const unsigned char> message);

}  // namespace osprey::net
