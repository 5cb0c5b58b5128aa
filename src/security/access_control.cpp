#include "security/access_control.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "registrar/aor.hpp"
#include "sip/aor.hpp"
#include "sip/host.hpp"
#include "sip/route.hpp"

namespace osprey::security {

namespace {
// The address a nonce is bound to (DigestAuthenticator): the source IP, without the
// port (a NAT may map the retry to another one, a TCP client reconnect from another).
std::string client_of(const net::Flow& flow) { return net::address_text(flow.remote.address); }

// What passes without any judging (authentication off, a trusted peer) may go anywhere.
AccessDecision passed_unjudged() {
  AccessDecision decision;
  decision.may_reach_gateway = true;
  decision.may_relay = true;
  return decision;
}

AccessDecision refuse(int status, std::string_view reason) {
  AccessDecision decision;
  decision.answer = sip::LocalReply{status, std::string(reason), {}};
  return decision;
}
}  // namespace

AccessControl::AccessControl(const SecuritySettings& settings, const net::LocalIdentity& identity,
                             const store::UserStore* users, DigestAuthenticator* authenticator,
                             BanTable* bans, const DialPolicy* dial_policy, Clock clock,
                             spdlog::logger& logger, const DialogToken* dialog_tokens)
    : settings_(settings),
      identity_(identity),
      users_(users),
      authenticator_(authenticator),
      bans_(bans),
      dial_policy_(dial_policy),
      clock_(std::move(clock)),
      logger_(logger),
      dialog_tokens_(dialog_tokens) {}

bool AccessControl::dialog_admitted(const sip::Message& request, const sip::RouteDecision& route,
                                    DialogAdmission* admission) const {
  if (!request.to() || request.to()->tag().empty()) return false;
  if (dialog_tokens_ == nullptr) return true;
  if (!request.call_id() || !request.from()) return false;
  // The request goes to its next hop (the first Route left after ours, else the Request-URI):
  // the token must name that place among those its dialog reaches. A Request-URI osprey
  // retargets itself (a served domain: location service or gateway) is no place of a dialog:
  // it is judged as a new request (inbound to our users passes that way too).
  auto next_hop = sip::parse_uri(route.next_hop);
  if (!next_hop || !next_hop->is_sip()) return false;
  if (route.routes.empty() && (identity_.serves_uri(*next_hop) || identity_.is_ours(*next_hop))) return false;
  const std::string place = dialog_place(*next_hop);
  const std::string from_aor = sip::account_aor(request.from()->uri);
  const std::string to_aor = sip::account_aor(request.to()->uri);
  const DialogRequest dialog{
      *request.call_id(), request.from()->tag(), request.to()->tag(), from_aor, to_aor, place};
  const std::int64_t now = clock_();
  // Toward the gateway, the token must also name this exact Request-URI (the gateway's own
  // Contact): a dialog with the gateway carries no request for another number. The gateway is
  // its host at any port, and the flow a request would take (the peer's own, when no Route is
  // left) counts as much as the Request-URI: a gateway behind NAT is reached over its flow.
  const bool to_gateway = at_gateway(place);
  const std::string target = dialog_target(route.request_uri);
  DialogRequest exact = dialog;
  exact.next_hop = target;
  for (const std::string& token : route.tokens) {
    std::optional<DialogFlow> bound;
    if (!dialog_tokens_->admits(token, dialog, now, &bound)) continue;
    // The flow is the peer's own: it stands for the Request-URI only when nothing else is left
    // to route through (a Route after ours leads elsewhere first).
    if (!route.routes.empty()) bound.reset();
    const bool flow_to_gateway =
        bound && at_gateway(dialog_place(net::host_text(bound->address), bound->port));
    const bool gateway_bound = to_gateway || flow_to_gateway;
    if (gateway_bound && !dialog_tokens_->admits(token, exact, now)) continue;
    if (admission != nullptr) {
      admission->flow = bound;
      admission->gateway_cleared = gateway_bound;
    }
    return true;
  }
  return false;
}

std::optional<DialogFlow> AccessControl::verified_flow(const sip::Message& request,
                                                       const sip::RouteDecision& route) const {
  DialogAdmission admission;
  if (route.routes.empty() && !route.tokens.empty()) dialog_admitted(request, route, &admission);
  return admission.flow;
}

std::string AccessControl::realm_for(const sip::Uri& uri) const {
  // RFC 3261 §22.1: the realm names the protection domain; osprey's are its served domains,
  // which are also the realms of the accounts (store::Account::realm).
  if (identity_.names_served_domain(uri)) return sip::canonical_host(uri.host);
  return identity_.domains().empty() ? std::string() : sip::canonical_host(identity_.domains().front());
}

bool AccessControl::leaves_served_users(const sip::RouteDecision& route) const {
  // A Route toward anything but us remains after ours were consumed (§16.4, §16.6 step 6).
  if (!route.routes.empty()) return true;
  auto uri = sip::parse_uri(route.request_uri);
  if (!uri || !uri->is_sip()) return true;  // tel: and the like go to a gateway, never to a user here
  if (!identity_.serves_uri(*uri)) return !identity_.is_ours(*uri);
  // A number in a served domain that is nobody's account is a call to the telephone network.
  if (dialled_number(*uri) && users_ != nullptr) return !users_->has_aor(sip::account_aor(*uri));
  return false;
}

std::optional<std::string> AccessControl::refused_number(const sip::RouteDecision& route,
                                                         const std::string& user) const {
  // Every place the request may reach: its Request-URI after the strict-router fix-up, and every
  // Route it is still to follow (a gateway reads the user part of either).
  std::vector<std::string> targets = route.routes;
  targets.insert(targets.begin(), route.request_uri);
  // The URIs keep views into `targets`, which outlives them.
  std::vector<sip::Uri> uris;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (i == 0) {
      if (auto uri = sip::parse_uri(targets[i])) uris.push_back(*uri);
    } else if (auto list = sip::parse_route_list(targets[i], "Route"); list && !list->empty()) {
      uris.push_back(list->front().uri);
    }
  }
  // The gateway takes telephone numbers, and only through the dial policy: a request sent to its
  // address directly must name a number the policy can judge, not a user part a gateway might
  // strip down to one ("+44900123%23", "+44900123;ext=1", "x" with a tel: To).
  auto request_uri = sip::parse_uri(route.request_uri);
  const bool clean_number = request_uri && dialled_number(*request_uri).has_value();
  for (const sip::Uri& uri : uris) {
    if (!clean_number && at_gateway(dialog_place(uri)))
      return route.request_uri + ": not a telephone number, sent to the gateway";
  }
  for (std::size_t i = 0; i < uris.size(); ++i) {
    auto number = dialled_number(uris[i]);
    if (!number) continue;
    // A number that is one of our accounts is a user here, not a call out.
    if (&uris[i] == &uris.front() && request_uri && identity_.serves_uri(uris[i]) && users_ != nullptr &&
        users_->has_aor(sip::account_aor(uris[i])))
      continue;
    const DialDecision verdict = dial_policy_->check(user, *number);
    if (!verdict.allowed) return *number + ": " + verdict.reason;
  }
  return std::nullopt;
}

std::string AccessControl::gateway_place() const {
  if (settings_.gateway.empty()) return {};
  auto uri = sip::parse_uri(settings_.gateway);
  return uri ? dialog_place(*uri) : std::string();
}

AccessDecision AccessControl::authenticate(const sip::Message& request, const net::Flow& flow,
                                           bool registration, const std::string& realm) {
  AccessDecision decision;
  const std::int64_t now = clock_();
  AuthResult result;
  if (authenticator_ != nullptr) {
    result = authenticator_->verify(
        request, registration ? sip::HeaderId::authorization : sip::HeaderId::proxy_authorization, realm, now,
        client_of(flow));
  } else {
    result.verdict = AuthVerdict::failed;  // no accounts: nobody can authenticate
  }
  switch (result.verdict) {
    case AuthVerdict::authenticated:
      ++counters_.authenticated;
      decision.identity = result.account->aor;
      decision.verified_realm = realm;
      decision.may_relay = true;
      return decision;
    case AuthVerdict::malformed:
      return refuse(400, registration ? "Malformed Authorization" : "Malformed Proxy-Authorization");
    case AuthVerdict::failed: {
      ++counters_.failures;
      logger_.info("authentication failed for user '{}' from {}: {}", result.user,
                   net::host_text(flow.remote.address), result.reason);
      if (bans_ != nullptr) {
        if (auto ban = bans_->record_failure(flow.remote.address, result.user, now)) {
          logger_.warn(
              "banned {} for {} s after repeated authentication failures (offence {}, last user '{}')",
              net::host_text(flow.remote.address), ban->until - ban->since, ban->offences, result.user);
        }
      }
      break;  // answered exactly like a plain challenge: nothing tells the two apart
    }
    case AuthVerdict::challenge: ++counters_.challenged; break;
  }
  // RFC 3261 §22.2 (registrar: 401 WWW-Authenticate) and §22.3 (proxy: 407 Proxy-Authenticate);
  // RFC 8760 §2.4: SHA-256 first, MD5 for older clients; MD5 alone for the clients that give up
  // on any other (security/md5_only_clients.hpp).
  sip::LocalReply& challenge = decision.answer.emplace(sip::LocalReply{registration ? 401 : 407, {}, {}});
  const std::string header = registration ? "WWW-Authenticate" : "Proxy-Authenticate";
  if (authenticator_ != nullptr) {
    for (std::string& value :
         authenticator_->challenges(realm, now, result.stale, client_of(flow), &request)) {
      challenge.headers.emplace_back(header, std::move(value));
    }
  }
  return decision;
}

bool AccessControl::ack_allowed(const sip::Message& ack, const net::Flow& flow,
                                const sip::RouteDecision& route, std::optional<DialogFlow>* dialog_flow,
                                bool* may_reach_gateway) {
  if (may_reach_gateway != nullptr) *may_reach_gateway = false;
  if (!settings_.authentication || settings_.trusted_peers.contains(flow.remote.address)) {
    if (dialog_flow != nullptr) *dialog_flow = verified_flow(ack, route);
    if (may_reach_gateway != nullptr) *may_reach_gateway = true;
    return true;
  }
  if (DialogAdmission admission; dialog_admitted(ack, route, &admission)) {
    if (dialog_flow != nullptr) *dialog_flow = admission.flow;
    if (may_reach_gateway != nullptr) *may_reach_gateway = admission.gateway_cleared;
    return true;
  }
  if (!leaves_served_users(route)) return true;
  ++counters_.acks_dropped;
  // Anyone can send these, and an ACK gets no answer to tell the sender: once per dialog, and
  // rate-bound, in the log (the server's event log, set_ack_drop_report); every one at debug.
  logger_.debug("ACK from {} toward {} dropped: no dialog token of ours for that place",
                net::to_string(flow.remote), route.next_hop);
  if (ack_drop_report_) ack_drop_report_(ack, "no dialog token of ours for that place", &flow.remote);
  return false;
}

bool AccessControl::at_gateway(std::string_view place) const {
  const std::string gateway = gateway_place();
  return !gateway.empty() && !place.empty() && place_host(place) == place_host(gateway);
}

AccessDecision AccessControl::admit_cancel(const sip::Message& cancel, const net::Flow& flow,
                                           const sip::RouteDecision& route) {
  // A CANCEL that matched an INVITE never gets here: the table handled it. This one matched
  // nothing, and the proxy would forward it (§16.10); it cannot be challenged, so it goes on
  // the terms of an ACK: toward our own users, in a dialog we admitted, from a trusted peer.
  // Anywhere else it would be a relay: 481, as if osprey were its UAS (§9.2).
  AccessDecision decision;
  if (settings_.trusted_peers.contains(flow.remote.address)) {
    decision.trusted_source = true;
    decision.may_reach_gateway = true;
    return decision;
  }
  if (dialog_admitted(cancel, route) || !leaves_served_users(route)) return decision;
  ++counters_.forbidden;
  logger_.debug("CANCEL from {} toward {} matching no transaction: refused", net::to_string(flow.remote),
                route.next_hop);
  return refuse(481, "Call/Transaction Does Not Exist");
}

AccessDecision AccessControl::admit(const sip::Message& request, const net::Flow& flow,
                                    const sip::RouteDecision& route) {
  // RFC 5626 §5.2: a Route of ours carrying a flow token is the Path osprey gave a REGISTER it
  // forwarded; it was signed by us, or it is a forgery, and a forgery goes nowhere.
  if (!route.flow_tokens.empty()) {
    std::optional<DialogFlow> path_flow;
    if (dialog_tokens_ != nullptr) path_flow = dialog_tokens_->verify_flow(route.flow_tokens.front());
    if (!path_flow || route.flow_tokens.size() > 1) {
      ++counters_.forbidden;
      logger_.info("{} from {}: a Route of ours with a flow token that does not verify",
                   request.method_text(), net::host_text(flow.remote.address));
      return refuse(403, "Forbidden: invalid flow token");
    }
    if (route.routes.empty()) {
      AccessDecision decision;
      decision.path_flow = path_flow;
      return decision;
    }
  }
  if (!settings_.authentication) {
    AccessDecision decision = passed_unjudged();
    // RFC 3325: a trusted peer's P-Asserted-Identity stands whether or not anyone is challenged.
    decision.trusted_source = settings_.trusted_peers.contains(flow.remote.address);
    decision.dialog_flow = verified_flow(request, route);
    return decision;
  }
  const sip::Method method = request.method();
  // §22.1: ACK and CANCEL cannot be challenged (no response to an ACK; a CANCEL's must match).
  if (method == sip::Method::ack) return {};
  if (method == sip::Method::cancel) return admit_cancel(request, flow, route);
  if (settings_.trusted_peers.contains(flow.remote.address)) {
    AccessDecision decision = passed_unjudged();
    decision.trusted_source = true;
    decision.dialog_flow = verified_flow(request, route);
    return decision;
  }
  // The intake refuses these before; should one get here, it is not let through unjudged.
  if (!request.to() || !request.from()) return refuse(400, "Missing To or From");

  const bool forwarded_register = method == sip::Method::register_ &&
                                  !registrar::registers_for(request.request_uri(), identity_.domains());
  // For osprey (no route decided): the registrar refuses it itself (403 Domain not served).
  if (forwarded_register && route.request_uri.empty()) return {};
  if (method == sip::Method::register_ && !forwarded_register) {
    // The registrar's own test (registrar::registers_for): a REGISTER it would take, for any
    // port and spelling of a served domain, authenticates.
    const sip::Uri& to = request.to()->uri;
    AccessDecision decision = authenticate(request, flow, true, realm_for(to));
    if (decision.answer) return decision;
    // §10.3 step 4: the authenticated user may change the bindings of its own AORs only: the
    // sip: and the sips: AOR of its account (sip::account_aor), nobody else's.
    if (sip::account_aor(to) != decision.identity) {
      ++counters_.forbidden;
      logger_.info("REGISTER from {}: user {} may not register {}", net::host_text(flow.remote.address),
                   decision.identity, to.text);
      return refuse(403, "Forbidden: not your address-of-record");
    }
    return decision;
  }

  // Inside a dialog osprey admitted, toward a place that dialog reaches, the request follows the
  // route set its dialog-creating request earned; else it is judged as a new request.
  if (DialogAdmission admission; dialog_admitted(request, route, &admission)) {
    AccessDecision decision;
    decision.dialog_flow = admission.flow;
    decision.may_reach_gateway = admission.gateway_cleared;  // the token named its exact target
    return decision;
  }

  const sip::Uri& from = request.from()->uri;
  // Any spelling and any port of a served domain names one of our users.
  const bool from_our_user = identity_.names_served_domain(from);
  const bool leaves = leaves_served_users(route);
  if (!from_our_user && !leaves) {
    if (settings_.accept_inbound) return {};
    ++counters_.forbidden;
    return refuse(403, "Forbidden: inbound requests not accepted");
  }
  AccessDecision decision = authenticate(request, flow, false, realm_for(from));
  if (decision.answer) return decision;
  // A REGISTER forwarded to another domain names that domain's AOR in From and To: its
  // registrar judges who may bind it; here an account of ours is behind it, which is enough.
  if (forwarded_register) return decision;
  if (sip::account_aor(from) != decision.identity) {
    ++counters_.forbidden;
    logger_.info("{} from {}: user {} may not send as {}", request.method_text(),
                 net::host_text(flow.remote.address), decision.identity, from.text);
    return refuse(403, "Forbidden: From is not yours");
  }
  if (leaves && dial_policy_ != nullptr) {
    if (auto refused = refused_number(route, decision.identity)) {
      ++counters_.forbidden;
      ++counters_.toll_fraud;
      logger_.warn("dial policy: {} from {} by {} refused: {}", request.method_text(),
                   net::host_text(flow.remote.address), decision.identity, *refused);
      return refuse(403, "Forbidden: destination not allowed");
    }
    // The policy judged a clean number: the request may go to the gateway by any name.
    auto request_uri = sip::parse_uri(route.request_uri);
    decision.may_reach_gateway = request_uri && dialled_number(*request_uri).has_value();
  }
  return decision;
}

}  // namespace osprey::security
