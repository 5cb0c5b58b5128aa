#include "net/local_identity.hpp"

#include <algorithm>

#include "net/address_text.hpp"
#include "sip/aor.hpp"
#include "sip/host.hpp"

namespace osprey::net {

namespace {
// The address a host names, read from its canonical form: "127.0.0.01" and "[::ffff:127.0.0.1]"
// are 127.0.0.1, the address the sockets compare.
std::optional<boost::asio::ip::address> address_of(std::string_view host) {
  // Most hosts arrive in their one spelling ("192.0.2.1"): read as written, without building the
  // canonical text; any other spelling of an address ("127.0.0.01", "[::FFFF:7f00:1]") folds first.
  if (auto address = parse_address(host)) return unmapped(*address);
  const std::string canonical = sip::canonical_host(host);
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(std::string(sip::without_brackets(canonical)), error);
  if (error) return std::nullopt;
  return address;
}
}  // namespace

void LocalIdentity::add_listener(Protocol protocol, const Endpoint& at) {
  if (!listens_on(protocol)) protocols_.push_back(protocol);
  if (std::find(ports_.begin(), ports_.end(), at.port) == ports_.end()) ports_.push_back(at.port);
  if (at.address.is_unspecified()) {
    if (std::find(wildcard_ports_.begin(), wildcard_ports_.end(), at.port) == wildcard_ports_.end())
      wildcard_ports_.push_back(at.port);
    return;
  }
  add_address(at);
}

bool LocalIdentity::listens_on(Protocol protocol) const {
  return std::find(protocols_.begin(), protocols_.end(), protocol) != protocols_.end();
}

void LocalIdentity::add_address(const Endpoint& at) {
  if (std::find(addresses_.begin(), addresses_.end(), at) == addresses_.end()) addresses_.push_back(at);
}

bool LocalIdentity::serves_domain(std::string_view host) const { return sip::served_domain(host, domains_); }

bool LocalIdentity::listening_on(std::uint16_t port) const {
  return ports_.empty() || std::find(ports_.begin(), ports_.end(), port) != ports_.end();
}

bool LocalIdentity::serves_uri(const sip::Uri& uri) const {
  return uri.is_sip() && serves_domain(uri.host) && (!uri.has_port || listening_on(uri.port));
}

bool LocalIdentity::names_served_domain(const sip::Uri& uri) const {
  return uri.is_sip() && serves_domain(uri.host);
}

bool LocalIdentity::is_our_host(std::string_view host) const {
  if (serves_domain(host)) return true;
  const auto address = address_of(host);
  if (!address) return false;
  if (std::any_of(addresses_.begin(), addresses_.end(),
                  [&](const auto& at) { return at.address == *address; }))
    return true;
  return !wildcard_ports_.empty() && address->is_loopback();
}

bool LocalIdentity::is_ours(std::string_view host, std::uint16_t port) const {
  if (serves_domain(host) && listening_on(port)) return true;
  const auto address = address_of(host);
  if (!address) return false;
  const Endpoint endpoint{*address, port};
  if (std::find(addresses_.begin(), addresses_.end(), endpoint) != addresses_.end()) return true;
  // A wildcard listener: any address of this machine on that port. Loopback always is; other
  // addresses are known once osprey used them (add_address).
  if (std::find(wildcard_ports_.begin(), wildcard_ports_.end(), port) != wildcard_ports_.end())
    return address->is_loopback();
  return false;
}

bool LocalIdentity::is_ours(const sip::Uri& uri) const {
  if (!uri.is_sip()) return false;
  std::uint16_t port = uri.port_or_default();
  if (!uri.has_port) {
    // §19.1.2: the default port of the URI's transport (RFC 7118: 80 and 443 for ws and wss).
    const auto transport = uri.param("transport");
    const auto protocol = transport ? protocol_from_via(*transport) : std::nullopt;
    if (protocol == Protocol::tls) port = 5061;
    if (protocol && is_websocket(*protocol))
      port = default_port(uri.scheme == sip::UriScheme::sips ? Protocol::wss : *protocol);
  }
  return is_ours(uri.host, port);
}

}  // namespace osprey::net
