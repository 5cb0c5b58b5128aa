#include "app/dns_config.hpp"

#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace osprey::app {

namespace {
constexpr std::uint16_t kDnsPort = 53;  // RFC 1035 §4.2
}  // namespace

tl::expected<net::Endpoint, std::string> parse_dns_server(std::string_view text) {
  std::string_view host = text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return tl::unexpected("'" + std::string(text) + "' lacks its ']'");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return tl::unexpected("'" + std::string(text) + "': expected ':port' after ']'");
      port_text = rest.substr(1);
    }
  } else if (const auto colon = text.find(':');
             colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    // One colon: IPv4 and a port. More: an IPv6 address without brackets, so without a port.
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(std::string(host), error);
  if (error) {
    return tl::unexpected("'" + std::string(text) +
                          "' is not an IP address with an optional port (like 192.0.2.53:53 or [::1]:53)");
  }
  std::uint16_t port = kDnsPort;
  if (!port_text.empty() || (text.size() > host.size() && text.back() == ':')) {
    unsigned value = 0;
    const auto [end, parse_error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (parse_error != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      return tl::unexpected("'" + std::string(text) + "': the port must be a number from 1 to 65535");
    port = static_cast<std::uint16_t>(value);
  }
  return net::Endpoint{address, port};
}

void read_dns(ReadState& state, const toml::table& table, DnsConfig& dns) {
  Section section(state, table, "dns");
  std::vector<std::string> servers;
  if (section.string_array("servers", servers)) {
    for (const std::string& text : servers) {
      auto server = parse_dns_server(text);
      if (!server) {
        section.fail("servers", server.error());
        break;
      }
      dns.servers.push_back(*server);
    }
  }
  // Below 100 ms a distant server never answers in time; above a minute a request waits
  // longer than its transaction lives (RFC 3261 Timer B/F: 32 s).
  section.integer<std::uint32_t>("timeout_ms", 100, 60000, dns.timeout_ms);
  section.integer<std::uint32_t>("attempts", 1, 10, dns.attempts);
  // 0: no cache (every request asks DNS again).
  section.integer<std::size_t>("cache_entries", 0, 10000000, dns.cache_entries);
  section.fail_unknown_keys();
}

net::DnsSettings dns_settings(const DnsConfig& dns) {
  net::DnsSettings settings;
  settings.servers = dns.servers;
  settings.timeout = std::chrono::milliseconds(dns.timeout_ms);
  settings.attempts = dns.attempts;
  settings.cache_entries = dns.cache_entries;
  return settings;
}

}  // namespace osprey::app
