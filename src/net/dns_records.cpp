#include "net/dns_records.hpp"

namespace osprey::net {

std::string_view to_string(DnsType type) {
  switch (type) {
    case DnsType::hosts_file: return "hosts file";
    case DnsType::a: return "A";
    case DnsType::aaaa: return "AAAA";
    case DnsType::srv: return "SRV";
    case DnsType::naptr: return "NAPTR";
  }
  return "?";
}

std::string describe(const DnsResult& result, DnsType type) {
  switch (result.outcome) {
    case DnsOutcome::records: return std::string(to_string(type)) + " records";
    case DnsOutcome::no_such_name: return "no such domain";
    case DnsOutcome::no_data: return "no " + std::string(to_string(type)) + " records";
    case DnsOutcome::server_failure: return "DNS failure: " + result.detail;
    case DnsOutcome::no_answer: return "no answer from the DNS server";
  }
  return "?";
}

}  // namespace osprey::net
