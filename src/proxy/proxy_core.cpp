// ProxyCore: what ties the steps of RFC 3261 §16 together, and the request side of it: a new
// request is checked (§16.3), its route information applied (§16.4), its target set worked out
// (§16.5), and its response context opened before the branches start (proxy_forward.cpp).
// Responses and CANCEL: proxy_responses.cpp; ACK and late 2xx without a context:
// proxy_stateless.cpp; RFC 3428 store-and-forward: proxy_offline.cpp.
#include "proxy/proxy_core.hpp"

#include <algorithm>

#include "proxy/branch_request.hpp"
#include "proxy/consumed_credentials.hpp"
#include "proxy/dialog_flow_hop.hpp"
#include "proxy/loop_check.hpp"
#include "proxy/loop_hash.hpp"
#include "proxy/response_context.hpp"
#include "proxy/secure_routing.hpp"
#include "proxy/stray_cancel.hpp"
#include "security/asserted_identity.hpp"
#include "security/dial_policy.hpp"
#include "sip/aor.hpp"
#include "sip/builder.hpp"
#include "sip/token_list.hpp"

namespace osprey::proxy {

namespace {

// Who the store-and-forward quotas count a MESSAGE against: the authenticated account, or for a
// trusted peer (RFC 3325 trust domain, not challenged) the From AOR it vouches for; empty for an
// outsider, whose messages have a budget of their own.
std::string sender_identity(const sip::Message& request, const Originator& originator) {
  if (!originator.asserted_identity.empty() || !originator.trusted || !request.from())
    return originator.asserted_identity;
  return sip::account_aor(request.from()->uri);
}

}  // namespace

ProxyCore::ProxyCore(txn::TransactionTable& table, net::Transport& transport, store::LocationStore& location,
                     net::LocalIdentity identity, Clock clock, NewTag new_tag, Resolve resolve)
    : table_(table),
      transport_(transport),
      location_(location),
      identity_(std::move(identity)),
      clock_(std::move(clock)),
      new_tag_(std::move(new_tag)),
      resolve_(std::move(resolve)) {}

ProxyCore::~ProxyCore() { *alive_ = false; }

registrar::ConnectionOpen ProxyCore::source_flow_open() const {
  return registrar::connection_open_in(transport_);
}

void ProxyCore::attach(ProxyServices services) {
  services_ = std::move(services);
  set_dialog_tokens(services_.dialog_tokens);
  gateway_endpoints_.clear();
  if (auto uri = sip::parse_uri(services_.gateway)) {
    if (auto literal = literal_target(*uri)) gateway_endpoints_.push_back(literal->destination);
  }
}

bool ProxyCore::is_gateway(const net::Endpoint& endpoint) const {
  // The gateway is its host at any port and over any transport: gateways admit osprey by its
  // address, so whatever reaches that address reaches the telephone network. Compared in one
  // spelling (an IPv4-mapped address is its IPv4 address): a Contact or Route written
  // [::ffff:a.b.c.d] must not pass for another host than the gateway.
  // IPv6 forms that carry an IPv4 address (NAT64 among them) are the host they lead to.
  const auto embedded = net::embedded_ipv4(endpoint.address);
  const boost::asio::ip::address address =
      embedded ? boost::asio::ip::address(*embedded) : net::unmapped(endpoint.address);
  return std::any_of(gateway_endpoints_.begin(), gateway_endpoints_.end(),
                     [&address](const net::Endpoint& gateway) { return gateway.address == address; });
}

void ProxyCore::set_dialog_tokens(const security::DialogToken* tokens) {
  services_.dialog_tokens = tokens;
  issuer_.reset();
  if (tokens != nullptr) issuer_.emplace(*tokens, identity_, services_.gateway);
}

void ProxyCore::reject(txn::ServerTransactionId transaction, const sip::Message& request, int status,
                       std::string_view reason,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  ++counters_.rejected;
  const std::string tag = new_tag_();
  auto builder = sip::MessageBuilder::response_to(request, status, reason, tag);
  for (const auto& [name, value] : headers) builder.header(name, value);
  table_.respond(transaction, std::move(builder).serialize(), status, tag);
}

std::optional<sip::Message> ProxyCore::original_request(const Context& context) {
  auto request = sip::Message::parse(context.request_bytes);
  if (!request) return std::nullopt;  // cannot happen: the same bytes parsed when the request arrived
  // The bytes are the request as it arrived; the worker stamped its top Via (§18.2.1, RFC 3581
  // §4) on the parsed copy only. A response of ours copies that Via: stamped again here, so it
  // carries received and rport like every other response osprey sends.
  txn::stamp_received(*request, context.arrival);
  return std::move(*request);
}

void ProxyCore::reject_original(Context& context, int status, std::string_view reason) {
  auto request = original_request(context);
  context.request_bytes.clear();
  if (!request) return;
  reject(context.server, *request, status, reason);
}

std::optional<net::Endpoint> ProxyCore::our_address(const txn::Target& to) {
  auto at = transport_.sent_by(to.protocol, to.destination);
  if (at) identity_.add_address(*at);
  return at;
}

void ProxyCore::handle_request(txn::ServerTransactionId transaction, const sip::Message& request,
                               const net::Flow& flow, const Originator& originator) {
  auto route = sip::decide_route(request, identity_);
  if (!route) {
    ++counters_.requests;
    reject(transaction, request, 400, "Bad Route");
    return;
  }
  handle_request(transaction, request, flow, *route, originator);
}

bool ProxyCore::is_loop(const sip::Message& request, std::uint64_t hash) const {
  // §16.3 step 4: our own sent-by in a Via means the request has been here; the same loop hash
  // as a request still being forwarded means it came round unchanged: a loop, not a spiral.
  if (!passed_through_us(request, identity_)) return false;
  return std::any_of(contexts_.begin(), contexts_.end(),
                     [hash](const auto& entry) { return entry.second->loop == hash; });
}

void ProxyCore::handle_request(txn::ServerTransactionId transaction, const sip::Message& request,
                               const net::Flow& flow, const sip::RouteDecision& route,
                               const Originator& originator) {
  ++counters_.requests;
  // §16.3 steps 1-3 and 5 (scheme, Max-Forwards, Proxy-Require) were checked by the sanity
  // stage of the request pipeline (proxy/stage_sanity.hpp); step 4, loops, is the proxy's own.
  const std::uint64_t hash = loop_hash(request);
  if (is_loop(request, hash)) {
    ++counters_.loops;
    reject(transaction, request, 482, "Loop Detected");
    return;
  }
  // RFC 3428 §7 / RFC 3261 §21.4.11: a MESSAGE body over the configured limit.
  if (request.method() == sip::Method::message) {
    if (auto too_large = im::check_message(request, services_.im_limits)) {
      reject(transaction, request, too_large->status, too_large->reason);
      return;
    }
  }

  auto context = open_context(transaction, request, flow, hash, originator);
  sip::Message& outgoing = context->outgoing;
  // A CANCEL gets here only when it matched no transaction (§16.10): forwarded as it is
  // needed, no more (proxy/stray_cancel.hpp).
  if (request.method() == sip::Method::cancel) strip_stray_cancel(outgoing);
  // Identity: what the next hops learn of the sender, as the access stage of the request
  // pipeline found it (the Originator), applied to the copy that is forwarded (§16.6 step 1);
  // the received request is the transaction's and stays as it came.
  // RFC 3325 §5: an identity asserted by anyone outside the trust domain is not believed; ours
  // replaces it once the sender authenticated (§6: P-Preferred-Identity among its own).
  if (!originator.trusted)
    security::remove_untrusted_identity(outgoing, !originator.asserted_identity.empty());
  if (!originator.asserted_identity.empty()) {
    security::assert_identity(outgoing, originator.asserted_identity,
                              std::span<const std::string>(&originator.asserted_identity, 1));
  }
  // RFC 3261 §22.3: credentials for osprey's realms were for osprey alone.
  remove_consumed_credentials(outgoing, identity_, originator.verified_realm);

  // §16.4: route information, as decided before access control judged the request.
  sip::apply_routes(outgoing, route);
  context->tls_only = requires_tls(route);
  // A secure listener of either kind: sips: over WSS is RFC 7118 §7's.
  if (context->tls_only && !identity_.listens_on(net::Protocol::tls) &&
      !identity_.listens_on(net::Protocol::wss)) {
    reject(transaction, request, kSipsNotServedStatus, "Unsupported URI Scheme");
    return;
  }
  if (!choose_targets(*context, request, route, originator)) return;  // answered
  // §16.5 / §16.7 step 4: recursion on 3xx, for a new request that goes where its Request-URI
  // says (a Route left would be bypassed), from a sender who may reach beyond our users.
  const sip::Method method = request.method();
  context->may_recurse = services_.redirects.recurse && services_.redirects.max_targets > 0 &&
                         originator.may_relay && route.routes.empty() && method != sip::Method::cancel &&
                         method != sip::Method::ack && request.to() && request.to()->tag().empty();
  if (context->may_recurse) {
    context->keep_outgoing = true;  // a target may come after the last branch was sent
    for (const auto& group : context->groups)
      for (const ForwardTarget& target : group) context->known_uris.push_back(target.request_uri);
  }
  start_context(std::move(context));
}

std::unique_ptr<ProxyCore::Context> ProxyCore::open_context(txn::ServerTransactionId transaction,
                                                            const sip::Message& request,
                                                            const net::Flow& flow, std::uint64_t loop,
                                                            const Originator& originator) {
  auto context = std::make_unique<Context>(transaction, request);
  context->arrival = flow;
  context->invite = request.method() == sip::Method::invite;
  context->outgoing_method = request.method();
  context->record_route = creates_dialog(request);
  if (context->record_route && issuer_) context->dialog = issuer_->dialog_of(request, flow);
  context->loop = loop;
  context->sender_identity = sender_identity(request, originator);
  context->authenticated = originator.asserted_identity;
  context->may_reach_gateway = originator.may_reach_gateway;
  if (request.method() == sip::Method::register_) {
    auto supported = sip::token_list(request, sip::HeaderId::supported);
    context->register_supports_path = supported && sip::contains_token(*supported, "path");
    context->register_supports_outbound = supported && sip::contains_token(*supported, "outbound");
  }
  return context;
}

bool ProxyCore::to_gateway(const sip::Uri& uri, const std::string& aor) const {
  // A telephone number nobody here answers for goes to the gateway (the access control has
  // already applied the dial policy to it).
  if (services_.gateway.empty() || !security::dialled_number(uri)) return false;
  return aor.empty() || services_.users == nullptr || !services_.users->has_aor(aor);
}

ForwardTarget ProxyCore::gateway_target(const std::string& request_uri) const {
  ForwardTarget gateway = forward_target(request_uri, services_.gateway);
  gateway.routed_to_gateway = true;
  return gateway;
}

bool ProxyCore::choose_targets(Context& context, const sip::Message& request, const sip::RouteDecision& route,
                               const Originator& originator) {
  // §16.5: the target set.
  const std::string& request_uri = route.request_uri;
  auto uri = sip::parse_uri(request_uri, {false});
  if (uri && !uri->is_sip() && route.routes.empty() && to_gateway(*uri, {})) {
    context.groups.push_back({gateway_target(request_uri)});
    return true;
  }
  if (!uri || !uri->is_sip()) {
    reject(context.server, request, 416, "Unsupported URI Scheme");
    return false;
  }
  if (route.routes.empty() && originator.path_flow) {
    // Along a Path of ours (RFC 3327, RFC 5626 §5.3): the flow its REGISTER came on, only.
    context.over_path_flow = true;
    context.groups.push_back({path_flow_target(request_uri, *originator.path_flow)});
    return true;
  }
  if (!route.routes.empty()) {
    // A pre-loaded or recorded route goes on: the next hop is the top Route (a loose router;
    // strict next hops, §16.6 step 6, are not supported), the Request-URI stays.
    ForwardTarget routed = forward_target(request_uri, route.next_hop);
    routed.routed_to_gateway = !services_.gateway.empty() && route.next_hop == services_.gateway;
    context.groups.push_back({std::move(routed)});
  } else if (identity_.serves_uri(*uri)) {
    return served_targets(context, request, *uri, request_uri);
  } else if (identity_.is_ours(*uri)) {
    // One of our addresses but no served domain: no user lives here, and forwarding it would
    // send it back to us.
    reject(context.server, request, 404, "Not Found");
    return false;
  } else {
    context.groups.push_back({peer_target(request_uri, *uri, context.tls_only, originator.dialog_flow)});
  }
  return true;
}

bool ProxyCore::served_targets(Context& context, const sip::Message& request, const sip::Uri& uri,
                               const std::string& request_uri) {
  // The bindings of this AOR only: sip: and sips: are two AORs (RFC 3261 §19.1.4), so a sips:
  // request never reaches a binding made for sip: (nor the reverse), and a user registered
  // under the other scheme only is answered as one with no binding. Whether the user exists
  // asks about the account, written with either scheme.
  std::string aor = sip::canonical_aor(uri);
  const auto bindings = location_.lookup(aor, clock_());
  if (!bindings.empty()) {
    context.groups = target_groups(bindings, source_flow_open());
    context.served_aor = std::move(aor);
    return true;
  }
  // Asked only when nobody is bound: the common case (a registered user) spends nothing on it.
  const std::string account = sip::account_aor(uri);
  if (to_gateway(uri, account)) {
    context.groups.push_back({gateway_target(request_uri)});
    return true;
  }
  // §16.5: 404 for a user with no account (only when accounts exist: an open registrar knows
  // no user list); else "not reachable now": 480, or stored if a MESSAGE.
  if (services_.users != nullptr && services_.users->size() > 0 && !services_.users->has_aor(account)) {
    report_not_reachable(request, 404, "no such account");
    reject(context.server, request, 404, "Not Found");
    return false;
  }
  if (context.tls_only || services_.offline == nullptr ||
      !services_.offline->take(context.server, request, aor, context.sender_identity)) {
    report_not_reachable(request, 480, "the user has no registered device");
    reject(context.server, request, 480, "Temporarily Unavailable");
  }
  return false;
}

void ProxyCore::start_context(std::unique_ptr<Context> context) {
  const ContextKey key = key_of(context->server);
  const bool may_store_later =
      !context->served_aor.empty() && context->outgoing_method == sip::Method::message &&
      services_.offline != nullptr && services_.im_limits.delivery_timeout.count() > 0;
  contexts_[key] = std::move(context);
  if (may_store_later)
    delivery_deadlines_.emplace_back(txn::Clock::now() + services_.im_limits.delivery_timeout, key);
  start_next_group(key);
}

void ProxyCore::report_transport_failure(const Context& context, const txn::Target& to,
                                         std::string_view cause) const {
  if (!events_.branch_transport_failure) return;
  // Parsed again only on this rare path: the context keeps the request as bytes.
  auto request = sip::Message::parse_borrowed(context.request_bytes);
  const std::string_view call_id = request && request->call_id() ? *request->call_id() : std::string_view();
  const std::string_view method = request ? request->method_text() : std::string_view();
  const std::string_view request_uri = request ? request->request_uri().text : std::string_view();
  events_.branch_transport_failure({call_id, to, cause, method, request_uri});
}

void ProxyCore::report_not_reachable(const sip::Message& request, int status, std::string_view why) const {
  if (!events_.user_not_reachable) return;
  events_.user_not_reachable(
      {request.call_id().value_or(""), request.method_text(), request.request_uri().text, status, why});
}

ForwardTarget ProxyCore::peer_target(const std::string& request_uri, const sip::Uri& uri, bool tls_only,
                                     const std::optional<security::DialogFlow>& dialog_flow) const {
  ForwardTarget target = forward_target(request_uri, request_uri);
  if (!dialog_flow) return target;
  if (auto hop = dialog_flow_hop(*dialog_flow, uri, tls_only, transport_)) {
    target.destination = std::move(*hop);
    // The peer's own address, as a binding's source flow: never osprey itself; and the
    // Request-URI after it should the connection fail now.
    target.binding_address = true;
    target.fallback_hops.push_back(request_uri);
  }
  return target;
}

std::optional<security::DialogFlow> ProxyCore::branch_flow(const Branch& branch) {
  if (branch.sent_to.destination.port == 0) return std::nullopt;
  return dialog_flow(branch.sent_to.protocol, branch.sent_to.destination);
}

}  // namespace osprey::proxy
