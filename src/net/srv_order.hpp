#pragma once
// The order in which to try a service's SRV records (RFC 2782, "Usage rules"): lowest
// priority first; within one priority, a weighted random pick, again and again, so that each
// server gets its weight's share of the first tries. The random source is passed in: tests fix
// it, the resolver owns one per worker.

#include <cstdint>
#include <functional>
#include <vector>

#include "net/dns_records.hpp"

namespace osprey::net {

// A uniformly random whole number in [0, upper], both ends included.
using UniformPick = std::function<std::uint32_t(std::uint32_t upper)>;

// The records in the order to try them. A record whose target is "." (RFC 2782: the service
// is decidedly not available) is left out; check that with service_refused first.
std::vector<SrvRecord> order_srv_records(std::vector<SrvRecord> records, const UniformPick& pick);

// RFC 2782: a single record with target "." says the domain does not offer the service at
// all, so no A/AAAA fallback either (RFC 3263 §4.2 reads SRV first for exactly that).
bool service_refused(const std::vector<SrvRecord>& records);

}  // namespace osprey::net
