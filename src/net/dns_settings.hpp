#pragma once
// How the RFC 3263 resolver talks to DNS: which servers, how long it waits, how much it keeps.
// The app layer fills this from the [dns] section of the config or the tools' --dns-server.

#include <chrono>
#include <cstddef>
#include <vector>

#include "net/flow.hpp"

namespace osprey::net {

struct DnsSettings {
  // Recursive DNS servers, tried in turn; empty: the system's (/etc/resolv.conf).
  std::vector<Endpoint> servers;
  // How long one query waits for an answer before it is sent again (c-ares doubles this on
  // each round over the servers), and how many times it is sent.
  std::chrono::milliseconds timeout{2000};
  unsigned attempts = 2;
  // Answers kept, the least recently used dropped first; 0: nothing is cached.
  std::size_t cache_entries = 10000;
  // Every answer is kept for its TTL within these bounds: a zero TTL still saves a burst of
  // identical lookups, and a huge one does not pin a stale answer for days.
  std::chrono::seconds min_ttl{1};
  std::chrono::seconds max_ttl{3600};
  // For a negative answer without an SOA record (RFC 2308 §5 gives its TTL), and for a server
  // that failed or did not answer (RFC 2308 §7: at most five minutes): short, so a transient
  // problem clears soon, but long enough that a dead name does not cost a timeout per request.
  std::chrono::seconds negative_ttl{30};
  std::chrono::seconds failure_ttl{5};
  // Distinct queries in flight at once; beyond it a lookup fails at once, so a flood of
  // requests for made-up domains cannot pile up state.
  std::size_t max_queries_in_flight = 1024;
};

}  // namespace osprey::net
