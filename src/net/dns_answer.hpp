#pragma once
// A raw DNS answer, as c-ares hands it over, turned into a DnsResult: the records through
// c-ares's own parsers, the TTLs through dns_ttl.hpp (c-ares 1.18 drops them for NAPTR/SRV).

#include <span>

#include "net/dns_records.hpp"

namespace osprey::net {

// `ares_status` is the status c-ares gave the query (ARES_SUCCESS, ARES_ENOTFOUND, ...);
// `message` the answer, empty when there was none.
DnsResult read_dns_answer(DnsType type, int ares_status, std::span<const unsigned char> message);

}  // namespace osprey::net
