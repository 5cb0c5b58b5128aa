#pragma once
// Checks on the domain names the resolver queries. Names in NAPTR replacements and SRV targets
// come from whoever runs the domain being resolved: only host-name-shaped names are followed.

#include <string_view>

namespace osprey::net {

// Letters, digits, '-' and '_' (RFC 2782 service labels) in dot-separated labels of 1 to 63
// octets, 253 in all (RFC 1035 §2.3.4), an optional final dot. Not ".".
bool is_plausible_dns_name(std::string_view name);

// RFC 6761 §6.3: "localhost" and names under it are the loopback host; they never go to DNS.
bool is_localhost_name(std::string_view name);

// RFC 6761 §6.4: names under "invalid" never exist; they never go to DNS either.
bool is_invalid_name(std::string_view name);

}  // namespace osprey::net
