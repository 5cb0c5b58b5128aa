#pragma once
// RFC 3263 §4 for a host name: which DNS queries, in which order, and the ordered list of
// places to try that comes out of them.
//
//   a name in the hosts file      its addresses, the URI's port or the default (no DNS)
//   explicit port (§4.2)          A/AAAA of the host, that port
//   explicit transport (§4.1)     SRV _sip._udp / _sip._tcp / _sips._tcp of the host; none: A/AAAA, default
//   port neither                       NAPTR of the host, the usable services (naptr_filter.hpp) followed to
//   SRV;
//                                 no usable NAPTR: SRV for each transport of the scheme; none: A/AAAA
//
// SRV records are ordered by RFC 2782 (srv_order.hpp), each target's addresses looked up
// (AAAA and A, interleaved, RFC 8305 §4). Queries of one step go out together.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "net/dns_records.hpp"
#include "net/srv_order.hpp"
#include "net/target_resolver.hpp"

namespace osprey::net {

// Where the lookups go (DnsClient::lookup, or a fake in tests). A DnsType::hosts_file lookup
// must answer inside the call.
using DnsLookup =
    std::function<void(const std::string& name, DnsType type, std::function<void(const DnsResult&)>)>;

using HopsCallback = std::function<void(tl::expected<std::vector<ResolvedHop>, std::string>)>;

struct Rfc3263Options {
  // Whether this host can reach IPv6 addresses at all: its addresses go first when it can.
  bool prefer_ipv6 = true;
  // Bounds on what one lookup follows, so a hostile domain cannot make one request cost
  // hundreds of queries.
  std::size_t max_naptr_choices = 6;
  std::size_t max_targets = 12;
  std::size_t max_hops = 24;
};

// Resolves `target` (a host name, not a literal). `done` is called once, possibly inside this
// call. `lookup` and `pick` must outlive the lookups in flight.
void resolve_rfc3263(const UriTarget& target, const DnsLookup& lookup, const UniformPick& pick,
                     const Rfc3263Options& options, HopsCallback done);

}  // namespace osprey::net
