// The [dns] section and the server syntax --dns-server shares with it.
#include "app/dns_config.hpp"
#include "app/config.hpp"

#include <gtest/gtest.h>

namespace osprey::app {
namespace {

tl::expected<Config, ConfigError> parse(const std::string& dns) {
  return parse_config("domains = [\"example.com\"]\n" + dns, "osprey.toml", {}, ConfigFiles::unchecked);
}

std::string error_for(const std::string& dns) {
  const auto config = parse(dns);
  return config ? "(loaded without error)" : to_string(config.error());
}

TEST(DnsConfig, DefaultsToTheSystemResolvers) {
  const auto config = parse("");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_TRUE(config->dns.servers.empty());
  const net::DnsSettings settings = dns_settings(config->dns);
  EXPECT_EQ(settings.timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(settings.attempts, 2u);
  EXPECT_EQ(settings.cache_entries, 10000u);
}

TEST(DnsConfig, ReadsEveryKey) {
  const auto config = parse(
      "[dns]\nservers = [\"127.0.0.1:5353\", \"[::1]:53\", \"192.0.2.53\"]\ntimeout_ms = 500\nattempts = 3\n"
      "cache_entries = 100\n");
  ASSERT_TRUE(config) << to_string(config.error());
  const net::DnsSettings settings = dns_settings(config->dns);
  ASSERT_EQ(settings.servers.size(), 3u);
  EXPECT_EQ(net::to_string(settings.servers[0]), "127.0.0.1:5353");
  EXPECT_EQ(net::to_string(settings.servers[1]), "[::1]:53");
  EXPECT_EQ(net::to_string(settings.servers[2]), "192.0.2.53:53");
  EXPECT_EQ(settings.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(settings.attempts, 3u);
  EXPECT_EQ(settings.cache_entries, 100u);
}

TEST(DnsConfig, ErrorsNameTheLineAndKey) {
  EXPECT_EQ(error_for("[dns]\nservers = [\"dns.example.com\"]\n"),
            "osprey.toml:3: key 'dns.servers': 'dns.example.com' is not an IP address with an optional port "
            "(like 192.0.2.53:53 or [::1]:53)");
  EXPECT_EQ(error_for("[dns]\n\ntimeout_ms = 5\n"),
            "osprey.toml:4: key 'dns.timeout_ms': must be an integer between 100 and 60000");
  EXPECT_EQ(error_for("[dns]\nattempts = 0\n"),
            "osprey.toml:3: key 'dns.attempts': must be an integer between 1 and 10");
  EXPECT_NE(error_for("[dns]\nserver = [\"127.0.0.1\"]\n").find("dns.server"), std::string::npos);
}

TEST(DnsServerSyntax, AddressesWithOptionalPorts) {
  EXPECT_EQ(net::to_string(*parse_dns_server("127.0.0.1")), "127.0.0.1:53");
  EXPECT_EQ(net::to_string(*parse_dns_server("::1")), "[::1]:53");
  EXPECT_EQ(net::to_string(*parse_dns_server("[2001:db8::1]:5353")), "[2001:db8::1]:5353");
  for (const char* bad : {"", "host:53", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "[::1]53",
                          "127.0.0.1:53x", "[::1]:"}) {
    EXPECT_FALSE(parse_dns_server(bad)) << bad;
  }
}

}  // namespace
}  // namespace osprey::app
