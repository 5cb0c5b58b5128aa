// Fuzzes the reading of a DNS answer (net/dns_ttl.hpp, net/dns_answer.hpp): what a DNS server,
// or whoever controls the domain being resolved, sends the RFC 3263 resolver. Byte 0 picks the
// record type and the c-ares status, the rest is the message. Properties checked:
//  - neither reader crashes or reads outside the message (ASan);
//  - a message read_dns_ttls accepts has at least the 12-byte header;
//  - a "records" result holds records of the type asked for only, none with an empty name,
//    at most 32 addresses; a negative or failed result holds no records.

#include <cstdint>
#include <span>

#include <ares.h>

#include "fuzz_support.hpp"
#include "net/dns_answer.hpp"
#include "net/dns_ttl.hpp"

namespace {

using osprey::net::DnsOutcome;
using osprey::net::DnsType;

constexpr DnsType kTypes[] = {DnsType::naptr, DnsType::srv, DnsType::a, DnsType::aaaa};
constexpr int kStatuses[] = {ARES_SUCCESS, ARES_ENODATA, ARES_ENOTFOUND, ARES_ESERVFAIL};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const DnsType type = kTypes[data[0] & 3];
  const int status = kStatuses[(data[0] >> 2) & 3];
  const std::span<const unsigned char> message(data + 1, size - 1);

  const auto ttls = osprey::net::read_dns_ttls(message);
  OSPREY_FUZZ_CHECK(!ttls || message.size() >= 12);

  const auto result = osprey::net::read_dns_answer(type, status, message);
  const std::size_t records = result.naptr.size() + result.srv.size() + result.addresses.size();
  if (result.outcome == DnsOutcome::records) {
    OSPREY_FUZZ_CHECK(records > 0);
    OSPREY_FUZZ_CHECK(type == DnsType::naptr || result.naptr.empty());
    OSPREY_FUZZ_CHECK(type == DnsType::srv || result.srv.empty());
    OSPREY_FUZZ_CHECK(type == DnsType::a || type == DnsType::aaaa || result.addresses.empty());
    OSPREY_FUZZ_CHECK(result.addresses.size() <= 32);
    for (const auto& address : result.addresses)
      OSPREY_FUZZ_CHECK(address.is_v6() == (type == DnsType::aaaa) || address.is_v4());
    for (const auto& srv : result.srv) OSPREY_FUZZ_CHECK(!srv.target.empty());  // the root is "."
  } else {
    OSPREY_FUZZ_CHECK(records == 0);
  }
  return 0;
}
