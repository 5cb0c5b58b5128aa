#include "app/trunk_source_warnings.hpp"

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <algorithm>
#include <optional>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "security/address_set.hpp"
#include "sip/uri.hpp"

namespace osprey::app {

namespace {

namespace ip = boost::asio::ip;

std::optional<ip::address> literal(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  boost::system::error_code error;
  const ip::address address = ip::make_address(text, error);
  if (error) return std::nullopt;
  return address;
}

// The addresses a request from this host may come from: loopback, and every listening address
// that is not a wildcard (a wildcard listener's own addresses are not known from the file).
std::vector<ip::address> own_addresses(const Config& config) {
  std::vector<ip::address> own{ip::make_address("127.0.0.1"), ip::make_address("::1")};
  for (const ListenConfig& listen : config.listen) {
    auto address = literal(listen.address);
    if (!address || address->is_unspecified()) continue;
    if (std::find(own.begin(), own.end(), *address) == own.end()) own.push_back(*address);
  }
  return own;
}

// Does the trunk take requests from `address`? Its `sources`, else its peer's IP literal (what
// the SBC matches by when `sources` is left out).
bool takes_from(const sbc::Trunk& trunk, const ip::address& address) {
  if (!trunk.sources.empty()) return trunk.sources.contains(address);
  const auto peer = sip::parse_uri(trunk.peer);
  if (!peer) return false;
  const auto host = literal(peer->host);
  return host && *host == address;
}

}  // namespace

std::vector<std::string> trunk_source_warnings(const Config& config) {
  std::vector<std::string> warnings;
  const std::vector<ip::address> own = own_addresses(config);
  for (const sbc::Trunk& trunk : config.trunks) {
    for (const ip::address& address : own) {
      if (!takes_from(trunk, address)) continue;
      std::string line = "trunk \"" + trunk.name + "\": its sources include " + address.to_string() +
                         ", an address of this host: requests from there are taken as the trunk's calls";
      line += trunk.inbound_credentials ? " (it has [trunk.inbound_auth], so they still need its digest)"
                                        : ", with no digest asked (set sources to the carrier's addresses)";
      warnings.push_back(std::move(line));
    }
  }
  return warnings;
}

}  // namespace osprey::app
