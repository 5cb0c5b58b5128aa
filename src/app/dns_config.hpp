#pragma once
// The [dns] section of the config: the DNS servers the RFC 3263 resolver asks (default: the
// system's, /etc/resolv.conf), how long it waits, and how many answers it keeps. The client
// tools' --dns-server takes the same server syntax.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>
#include <tl/expected.hpp>

#include "app/config_reader.hpp"
#include "net/dns_settings.hpp"
#include "net/flow.hpp"

namespace osprey::app {

struct DnsConfig {
  std::vector<net::Endpoint> servers;  // empty: the system's resolvers
  std::uint32_t timeout_ms = 2000;     // one query's wait before it is sent again (doubled each round)
  std::uint32_t attempts = 2;
  std::size_t cache_entries = 10000;
};

// "192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53", "::1": an IP address (a DNS server
// cannot be found by name), port 53 unless given. The error says what is wrong.
tl::expected<net::Endpoint, std::string> parse_dns_server(std::string_view text);

void read_dns(ReadState& state, const toml::table& table, DnsConfig& dns);

net::DnsSettings dns_settings(const DnsConfig& dns);

}  // namespace osprey::app
