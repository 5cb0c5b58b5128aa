#include "proxy/dialog_token_issuer.hpp"

#include "sip/aor.hpp"
#include "sip/contact.hpp"
#include "sip/route.hpp"
#include "sip/route_decision.hpp"

namespace osprey::proxy {

namespace {
std::string place_of(const net::Endpoint& endpoint) {
  return security::dialog_place(net::host_text(endpoint.address), endpoint.port);
}

std::string place_of(std::string_view uri_text) {
  auto uri = sip::parse_uri(uri_text);
  return uri ? security::dialog_place(*uri) : std::string();
}

std::string first_contact_text(const sip::Message& message) {
  auto contact = sip::contacts(message);
  if (!contact || contact->star || contact->contacts.empty()) return {};
  return std::string(contact->contacts.front().address.uri.text);
}
}  // namespace

security::DialogFlow dialog_flow(net::Protocol protocol, const net::Endpoint& remote) {
  security::FlowProtocol bound = security::FlowProtocol::udp;
  switch (protocol) {
    case net::Protocol::udp: bound = security::FlowProtocol::udp; break;
    case net::Protocol::tcp: bound = security::FlowProtocol::tcp; break;
    case net::Protocol::tls: bound = security::FlowProtocol::tls; break;
    case net::Protocol::ws: bound = security::FlowProtocol::ws; break;
    case net::Protocol::wss: bound = security::FlowProtocol::wss; break;
  }
  return {bound, remote.address, remote.port};
}

DialogTokenIssuer::DialogTokenIssuer(const security::DialogToken& tokens, const net::LocalIdentity& identity,
                                     std::string_view gateway)
    : tokens_(tokens), identity_(identity), gateway_place_(place_of(gateway)) {}

std::string DialogTokenIssuer::named_place(const sip::Uri& uri) const {
  if (!uri.is_sip() || identity_.is_ours(uri) || identity_.serves_uri(uri)) return {};
  std::string place = security::dialog_place(uri);
  // The gateway is its host at any port (ProxyCore::is_gateway).
  const bool gateway =
      !gateway_place_.empty() && security::place_host(place) == security::place_host(gateway_place_);
  return gateway ? std::string() : place;
}

DialogTokenIssuer::Dialog DialogTokenIssuer::dialog_of(const sip::Message& request,
                                                       const net::Flow& flow) const {
  Dialog dialog;
  if (!request.call_id() || !request.from() || !request.to()) return dialog;
  dialog.call_id = std::string(*request.call_id());
  dialog.caller_tag = std::string(request.from()->tag());
  dialog.caller_aor = sip::account_aor(request.from()->uri);
  dialog.callee_aor = sip::account_aor(request.to()->uri);
  dialog.caller_places.push_back(place_of(flow.remote));
  dialog.caller_flow = dialog_flow(flow.protocol, flow.remote);
  const std::string contact_text = first_contact_text(request);  // the URI's views point into it
  if (auto contact = sip::parse_uri(contact_text)) dialog.caller_places.push_back(named_place(*contact));
  dialog.caller_places.push_back(security::dialog_target(contact_text));
  // The Record-Route nearest upstream: the caller's route set continues there (§12.1.1).
  if (auto recorded = sip::routes(request, sip::HeaderId::record_route); recorded && !recorded->empty())
    dialog.caller_places.push_back(named_place(recorded->front().uri));
  return dialog;
}

std::vector<std::string> DialogTokenIssuer::branch_places(const ForwardTarget& target,
                                                          const txn::Target& to) const {
  return {place_of(target.request_uri), place_of(target.next_hop), place_of(to.destination)};
}

std::string DialogTokenIssuer::toward_caller(const Dialog& dialog, std::int64_t now) const {
  if (dialog.call_id.empty()) return {};
  return tokens_.sign({security::DialogDirection::toward_caller,
                       dialog.call_id,
                       dialog.caller_tag,
                       {},
                       dialog.caller_aor,
                       dialog.callee_aor,
                       dialog.caller_places,
                       dialog.caller_flow},
                      now);
}

void DialogTokenIssuer::give_caller_token(sip::Message& response, const Dialog& dialog,
                                          std::span<const std::string> branch_places,
                                          const std::optional<security::DialogFlow>& callee_flow,
                                          std::int64_t now) const {
  if (dialog.call_id.empty() || !response.to() || response.to()->tag().empty()) return;
  auto recorded = sip::routes(response, sip::HeaderId::record_route);
  if (!recorded || recorded->empty()) return;
  std::size_t ours = recorded->size();
  for (std::size_t i = 0; i < recorded->size(); ++i) {
    if (identity_.is_ours((*recorded)[i].uri) &&
        (*recorded)[i].uri.has_param(security::DialogToken::kParam)) {
      ours = i;
      break;
    }
  }
  if (ours == recorded->size()) return;
  std::vector<std::string> places(branch_places.begin(), branch_places.end());
  const std::string contact_text = first_contact_text(response);  // the URI's views point into it
  if (auto contact = sip::parse_uri(contact_text)) places.push_back(named_place(*contact));
  places.push_back(security::dialog_target(contact_text));
  // The callee's side of the route set is above ours: each proxy after us prepended its value.
  if (ours > 0) places.push_back(named_place((*recorded)[ours - 1].uri));
  const std::string token =
      tokens_.sign({security::DialogDirection::toward_callee, dialog.call_id, dialog.caller_tag,
                    response.to()->tag(), dialog.caller_aor, dialog.callee_aor, places, callee_flow},
                   now);
  std::vector<std::string> values;
  for (const sip::NameAddr& element : *recorded) {
    std::string value(element.text);
    if (auto old = element.uri.param(security::DialogToken::kParam); old && identity_.is_ours(element.uri)) {
      const std::string from = std::string(security::DialogToken::kParam) + "=" + std::string(*old);
      if (auto at = value.find(from); at != std::string::npos)
        value.replace(at, from.size(), std::string(security::DialogToken::kParam) + "=" + token);
    }
    values.push_back(std::move(value));
  }
  response.replace_header(sip::HeaderId::record_route, sip::join_routes(values));
}

}  // namespace osprey::proxy
