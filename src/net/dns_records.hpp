#pragma once
// What one DNS query answered, as the RFC 3263 resolver and its cache keep it: the records of
// the type asked for, or why there are none, and for how long the answer may be reused
// (RFC 1035 §3.2.1 TTL; RFC 2308 for the answers that say "nothing").

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace osprey::net {

// The record types the resolver asks for (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 3403), and
// one that is not DNS: a name's addresses in the hosts file, looked up and cached the same way.
enum class DnsType : std::uint16_t { hosts_file = 0, a = 1, aaaa = 28, srv = 33, naptr = 35 };

std::string_view to_string(DnsType type);

// RFC 3403 §4.1 (the fields RFC 3263 §4.1 reads).
struct NaptrRecord {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string flags;
  std::string service;
  std::string regexp;
  std::string replacement;  // a domain name without the trailing dot
  friend bool operator==(const NaptrRecord&, const NaptrRecord&) = default;
};

// RFC 2782.
struct SrvRecord {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // without the trailing dot; "." (RFC 2782: no service) is kept as "."
  friend bool operator==(const SrvRecord&, const SrvRecord&) = default;
};

enum class DnsOutcome : std::uint8_t {
  records,         // the answer holds records of the type asked for
  no_such_name,    // NXDOMAIN (RFC 2308 §2.1)
  no_data,         // the name exists, without records of this type (RFC 2308 §2.2, "NODATA")
  server_failure,  // SERVFAIL, REFUSED, a malformed answer, too many queries in flight
  no_answer,       // no DNS server answered in time
};

struct DnsResult {
  DnsOutcome outcome = DnsOutcome::server_failure;
  // One of these is filled, by the type asked for, when outcome is records.
  std::vector<NaptrRecord> naptr;
  std::vector<SrvRecord> srv;
  std::vector<boost::asio::ip::address> addresses;
  // How long the answer stays true: the smallest TTL of the answer's records, or for a
  // negative answer RFC 2308 §5's min(SOA TTL, SOA MINIMUM); unset when the answer said
  // nothing about it (the cache then uses its default).
  std::optional<std::chrono::seconds> ttl;
  std::string detail;  // for server_failure: what went wrong, for the log and the user
};

// A short reason for the user: "no such domain", "no SRV records", "DNS server failure: ...".
std::string describe(const DnsResult& result, DnsType type);

}  // namespace osprey::net
