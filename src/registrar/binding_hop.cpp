#include "registrar/binding_hop.hpp"

#include <optional>

#include "net/transport.hpp"
#include "registrar/address_scope.hpp"
#include "sip/char_class.hpp"
#include "sip/route.hpp"
#include "sip/uri.hpp"

namespace osprey::registrar {

std::string source_uri(const store::BindingSource& source) {
  return "sip:" + net::to_string(source.remote) +
         ";transport=" + sip::to_ascii_lower(net::via_token(source.protocol));
}

bool contact_behind_nat(std::string_view contact, const store::BindingSource& source) {
  auto uri = sip::parse_uri(contact);
  if (!uri || !uri->is_sip()) return false;
  // §19.1.1: maddr, when present, is where a request to the URI goes.
  const auto maddr = uri->param("maddr");
  const std::string_view host = maddr && !maddr->empty() ? *maddr : uri->host;
  if (!is_private_address(host)) return false;
  return canonical_address(host) != canonical_address(net::address_text(source.remote.address));
}

ConnectionOpen connection_open_in(const net::Transport& transport) {
  return [&transport](const store::BindingSource& source) {
    return net::is_reliable(source.protocol) &&
           transport.connection_open(source.protocol, source.remote, source.connection);
  };
}

namespace {
// RFC 3327 §5.3: the first Path URI, a loose router, when the binding has a readable Path.
std::optional<std::string> first_path_uri(const store::Binding& binding) {
  if (binding.path.empty()) return std::nullopt;
  auto parsed = sip::parse_route_list(binding.path.front(), "Path");
  if (!parsed || parsed->empty()) return std::nullopt;
  return std::string(parsed->front().uri.text);
}
}  // namespace

BindingHops binding_hops(const store::Binding& binding, const ConnectionOpen& connection_open) {
  if (auto path = first_path_uri(binding)) return {{std::move(*path)}, false};
  if (!binding.source) return {{binding.contact}, false};
  const store::BindingSource& source = *binding.source;
  if (binding.outbound) {
    // RFC 5626 §5.3: the flow and nothing else; over a connection (TCP, TLS, WebSocket...) that
    // connection while it is open, over UDP the source its REGISTER came from.
    if (!net::is_reliable(source.protocol)) return {{source_uri(source)}, false};
    if (connection_open && connection_open(source)) return {{source_uri(source)}, true};
    return {{binding.contact}, false, true};
  }
  if (net::is_websocket(source.protocol)) {
    if (connection_open && connection_open(source)) return {{source_uri(source)}, true};
    return {{}, false};
  }
  if (net::is_reliable(source.protocol)) {
    if (connection_open && connection_open(source)) return {{source_uri(source), binding.contact}, true};
    return {{binding.contact}, false};
  }
  if (contact_behind_nat(binding.contact, source)) return {{source_uri(source)}, false};
  return {{binding.contact}, false};
}

}  // namespace osprey::registrar
