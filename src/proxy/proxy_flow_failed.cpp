// RFC 5626 §5.3: "if the flow ... has failed, the proxy SHOULD send a 430 (Flow Failed)
// response"; a binding's flow is the only way to it, so the binding leaves the location
// service (§5.3: the authoritative proxy removes a binding whose flow failed), and the other
// bindings of the user are tried as usual.
#include "proxy/dialog_token_issuer.hpp"
#include "proxy/proxy_core.hpp"
#include "proxy/response_context.hpp"
#include "sip/char_class.hpp"

namespace osprey::proxy {

namespace {
// The binding `failed` names, as the location service holds it now: the same contact over the
// same flow. A binding the UA has since refreshed over a new flow is another one, and stays.
bool same_flow_binding(const store::Binding& stored, const store::Binding& failed) {
  return stored.outbound && stored.contact == failed.contact && stored.source == failed.source &&
         stored.instance == failed.instance && stored.reg_id == failed.reg_id;
}
}  // namespace

void ProxyCore::flow_failed(ContextKey key, std::size_t branch, const store::Binding* failed) {
  ++counters_.flows_failed;
  if (failed == nullptr) {
    branch_ended(key, branch, 430, nullptr);
    return;
  }
  const store::Binding& binding = *failed;
  std::vector<store::Binding> kept;
  location_.update(
      binding.aor, clock_(),
      [&kept, &binding](const std::vector<store::Binding>& current) -> std::optional<store::AorUpdate> {
        kept.reserve(current.size());
        for (const store::Binding& stored : current) {
          if (!same_flow_binding(stored, binding)) kept.push_back(stored);
        }
        if (kept.size() == current.size()) return std::nullopt;
        return store::AorUpdate{kept};
      },
      [](bool) {});
  branch_ended(key, branch, 430, nullptr);
}

ForwardTarget ProxyCore::path_flow_target(const std::string& request_uri,
                                          const security::DialogFlow& flow) const {
  ForwardTarget target = forward_target(request_uri, request_uri);
  target.flow_only = true;
  target.binding_address = true;  // the UA's own address: never osprey itself
  const net::Endpoint remote{flow.address, flow.port};
  if (flow.protocol == security::FlowProtocol::udp) {
    // RFC 5626 §5.3: over UDP the flow is the source the REGISTER came from, over UDP.
    target.destination = txn::Target{net::Protocol::udp, remote, {}, true};
    return target;
  }
  // TCP, TLS, WS, WSS: FlowProtocol is numbered as net::Protocol (security/dialog_token.hpp).
  const auto protocol = static_cast<net::Protocol>(flow.protocol);
  // Only the connection the UA opened; osprey never opens one to its ephemeral port.
  if (!transport_.has_connection(protocol, remote)) {
    target.flow_failed = true;
    return target;
  }
  target.destination = txn::Target{protocol, remote, {}, false, true};
  return target;
}

std::size_t ProxyCore::add_path(const Context& context, sip::Message& message, const txn::Target& to) {
  auto at = our_address(to);
  if (!at) return 0;
  std::string value = "<sip:" + net::to_string(*at) +
                      ";transport=" + sip::to_ascii_lower(net::via_token(to.protocol)) + ";lr";
  // RFC 5626 §5.1: "ob" tells the registrar this edge keeps the flow, when the UA does outbound.
  if (context.register_supports_outbound) value += ";ob";
  if (services_.dialog_tokens != nullptr) {
    value += ";";
    value += sip::kPathFlowParam;
    value += "=";
    value +=
        services_.dialog_tokens->sign_flow(dialog_flow(context.arrival.protocol, context.arrival.remote));
  }
  value += ">";
  message.prepend_header(sip::HeaderId::path, value);
  // RFC 3327 §4.1: a proxy adding Path makes sure the request says "Supported: path".
  if (!context.register_supports_path) message.add_header(sip::HeaderId::supported, "path");
  return 1;
}

}  // namespace osprey::proxy
