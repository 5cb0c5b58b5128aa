#include "proxy/dialog_flow_hop.hpp"

#include "registrar/address_scope.hpp"

namespace osprey::proxy {

namespace {

net::Protocol stream_protocol(security::FlowProtocol protocol) {
  switch (protocol) {
    case security::FlowProtocol::tls: return net::Protocol::tls;
    case security::FlowProtocol::ws: return net::Protocol::ws;
    case security::FlowProtocol::wss: return net::Protocol::wss;
    case security::FlowProtocol::udp:
    case security::FlowProtocol::tcp: break;
  }
  return net::Protocol::tcp;
}

}  // namespace

std::optional<txn::Target> dialog_flow_hop(const security::DialogFlow& flow, const sip::Uri& request_uri,
                                           bool tls_only, const net::Transport& transport) {
  const net::Endpoint remote{flow.address, flow.port};
  if (flow.port == 0 || remote.address.is_unspecified()) return std::nullopt;
  switch (flow.protocol) {
    case security::FlowProtocol::tcp:
    case security::FlowProtocol::tls:
    case security::FlowProtocol::ws:
    case security::FlowProtocol::wss: {
      const net::Protocol protocol = stream_protocol(flow.protocol);
      if (tls_only && !net::is_secure(protocol)) return std::nullopt;
      // Only an open connection: osprey never opens one to the peer's ephemeral port (§18.2.2's
      // reuse of the connection the peer opened, nothing more).
      if (!transport.has_connection(protocol, remote)) return std::nullopt;
      // The flow the token's HMAC binds to this dialog, the peer's own source: its connection
      // may carry the request (RFC 5626 §5.3, RFC 5923 §5).
      return txn::Target{protocol, remote, {}, false, true};
    }
    case security::FlowProtocol::udp: {
      if (tls_only || !request_uri.is_sip()) return std::nullopt;
      // §19.1.1: maddr, when present, is where a request to the URI goes.
      const auto maddr = request_uri.param("maddr");
      const std::string_view host = maddr && !maddr->empty() ? *maddr : request_uri.host;
      if (!registrar::is_private_address(host)) return std::nullopt;
      if (registrar::canonical_address(host) == registrar::canonical_address(remote.address.to_string()))
        return std::nullopt;
      return txn::Target{net::Protocol::udp, remote, {}, false};
    }
  }
  return std::nullopt;
}

}  // namespace osprey::proxy
