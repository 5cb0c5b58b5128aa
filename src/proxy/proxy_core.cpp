#include "proxy/proxy_core.hpp"
#include "sip/char_class.hpp"

#include <algorithm>

#include "proxy/consumed_credentials.hpp"
#include "proxy/dialog_flow_hop.hpp"
#include "proxy/loop_hash.hpp"
#include "proxy/response_choice.hpp"
#include "proxy/secure_routing.hpp"
#include "proxy/stray_cancel.hpp"
#include "registrar/aor.hpp"
#include "security/asserted_identity.hpp"
#include "security/dial_policy.hpp"
#include "sip/builder.hpp"
#include "sip/contact.hpp"
#include "sip/host.hpp"
#include "sip/route.hpp"
#include "sip/validation.hpp"

namespace osprey::proxy {

struct ProxyCore::Context {
  Context(txn::ServerTransactionId id, const sip::Message& received)
      : server(id), request_bytes(received.raw()), outgoing(received.clone()) {}

  txn::ServerTransactionId server;
  // The request as received, for the proxy's own final responses (they copy its Via, From,
  // To...). Kept as bytes and parsed only then: most requests end with a forwarded response,
  // and a parse costs as much as the rest of the forwarding (callgrind).
  std::string request_bytes;
  sip::Message outgoing;  // after §16.4: every branch is a copy of it (§16.6 step 1); the last moved
  // A branch may be sent again (ProxyCore::retry_branch): `outgoing` is copied, never moved.
  bool keep_outgoing = false;
  bool invite = false;
  sip::Method outgoing_method = sip::Method::unknown;  // `outgoing` may have moved to a branch
  bool record_route = false;
  net::Flow arrival;  // where the request came in: its side of a double Record-Route
  std::uint64_t loop = 0;
  TargetGroups groups;
  std::size_t next_group = 0;
  std::vector<Branch> branches;
  std::optional<sip::Message> best;  // §16.7 step 6: the best final response so far
  int best_status = 0;
  std::size_t best_branch = 0;
  // §16.7 step 7: the WWW-Authenticate and Proxy-Authenticate values of every 401 and 407 so
  // far, with the branch each came from, so a forwarded 401/407 carries the other branches' too.
  struct Challenge {
    std::size_t branch;
    sip::HeaderId header;
    std::string value;
  };
  std::vector<Challenge> challenges;
  bool final_sent = false;
  bool cancelled = false;
  // The canonical AOR when the targets came from the location service (a served user): an
  // unreachable MESSAGE to it may be stored (RFC 3428 store-and-forward).
  std::string served_aor;
  // What the dialog tokens of our Record-Route bind (proxy/dialog_token_issuer.hpp); empty
  // call_id: no token.
  DialogTokenIssuer::Dialog dialog;
  std::string sender_identity;    // Originator::asserted_identity: store-and-forward's quotas
  bool may_reach_gateway = true;  // Originator::may_reach_gateway
  // Stored by the delivery timeout while branches still ran (0: not): withdrawn from the store
  // if one of them delivers it after all.
  std::uint64_t stored_id = 0;
  // A sips: request: every branch over TLS, and a SIPS Record-Route (proxy/secure_routing.hpp).
  bool tls_only = false;
};

namespace {

// "<sip:192.0.2.1:5060;transport=udp;osp-dt=TOKEN;lr>", or for a sips: request (`secure`)
// "<sips:192.0.2.1:5061;osp-dt=TOKEN;lr>" at the TLS listener: §16.6 step 4 and RFC 5630
// §3.1.2 want a SIPS URI there, which needs no transport parameter (RFC 5630 §3.1.2 deprecates
// transport=tls).
// `token`: the dialog token (security/dialog_token.hpp), or empty. The osp-dt parameter is
// always there, valueless without a token: it marks the URI as one osprey placed in a
// Record-Route (sip::placed_in_record_route, the §16.4 strict-router test).
std::string record_route_value(const net::Endpoint& at, net::Protocol protocol, const std::string& token,
                               bool secure) {
  std::string value =
      secure ? "<sips:" + net::to_string(at)
             : "<sip:" + net::to_string(at) + ";transport=" + sip::to_ascii_lower(net::via_token(protocol));
  value += ";" + std::string(security::DialogToken::kParam);
  if (!token.empty()) value += "=" + token;
  return value + ";lr>";
}

// §16.6 step 3: Max-Forwards one less, or 70 when the request had none.
void decrement_max_forwards(sip::Message& message) {
  if (message.max_forwards()) {
    message.replace_header(sip::HeaderId::max_forwards, std::to_string(*message.max_forwards() - 1));
  } else {
    message.add_header(sip::HeaderId::max_forwards, "70");
  }
}

// The bytes a binding's Path adds as Route values.
std::size_t routes_size(const std::vector<std::string>& routes) {
  std::size_t size = 0;
  for (const std::string& route : routes) size += route.size() + 2;
  return size;
}

// RFC 3261 §12.1.1 / §16.6 step 4: the methods that create dialogs get our Record-Route.
// MESSAGE never does (RFC 3428 §4: no dialog).
bool creates_dialog(const sip::Message& request) {
  if (request.to() && !request.to()->tag().empty()) return false;  // in-dialog: route set fixed
  const auto method = request.method();
  if (method == sip::Method::invite || method == sip::Method::subscribe) return true;
  return request.method_text() == "REFER";
}

// Who the store-and-forward quotas count a MESSAGE against: the authenticated account, or for a
// trusted peer (RFC 3325 trust domain, not challenged) the From AOR it vouches for; empty for an
// outsider, whose messages have a budget of their own.
std::string sender_identity(const sip::Message& request, const Originator& originator) {
  if (!originator.asserted_identity.empty() || !originator.trusted || !request.from())
    return originator.asserted_identity;
  return registrar::account_aor(request.from()->uri);
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

SourceFlowOpen ProxyCore::source_flow_open() const {
  return [this](std::string_view source) {
    if (source.starts_with("udp:")) return false;  // the common case, without parsing
    auto flow = target_from_source(source);
    return flow && net::is_reliable(flow->protocol) &&
           transport_.has_connection(flow->protocol, flow->destination);
  };
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

ProxyCore::Context* ProxyCore::find(ContextKey key) {
  auto it = contexts_.find(key);
  return it == contexts_.end() ? nullptr : it->second.get();
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

bool ProxyCore::message_too_large_for(const Context& context, const txn::Target& to) const {
  if (context.outgoing_method != sip::Method::message || to.protocol != net::Protocol::udp) return false;
  if (context.request_bytes.size() + kViaAllowance <= kUdpMessageLimit) return false;
  return !transport_.sent_by(net::Protocol::tcp, to.destination);
}

bool ProxyCore::may_store(const Context& context, bool deadline_passed) const {
  // Store-and-forward: every branch ended 408/480/503 or with a transport error (no best response at
  // all counts too): the user is offline in practice, so a MESSAGE is kept for later.
  const int status = context.best_status;
  bool unreachable = status == 0 || status == 408 || status == 480 || status == 503;
  // At the delivery timeout, a branch still silent means no device has the message yet: another
  // device's error (482 for a Contact naming osprey, 415 for a type it refuses) does not answer
  // for it. A 6xx speaks for the user (§16.7 step 10) and ends the search.
  if (deadline_passed && !unreachable && status < 600) {
    const bool still_trying = context.next_group < context.groups.size() ||
                              std::any_of(context.branches.begin(), context.branches.end(),
                                          [](const Branch& b) { return !b.done; });
    unreachable = still_trying;
  }
  // A sips: MESSAGE is not kept: its later delivery could not promise TLS to the recipient.
  return !context.cancelled && !context.tls_only && !context.served_aor.empty() &&
         services_.offline != nullptr && unreachable && context.outgoing_method == sip::Method::message;
}

bool ProxyCore::offer_to_store(Context& context) {
  if (!may_store(context)) return false;
  auto request = original_request(context);
  if (!request ||
      !services_.offline->take(context.server, *request, context.served_aor, context.sender_identity))
    return false;
  context.final_sent = true;
  return true;
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

void ProxyCore::handle_request(txn::ServerTransactionId transaction, const sip::Message& request,
                               const net::Flow& flow, const sip::RouteDecision& route,
                               const Originator& originator) {
  ++counters_.requests;
  // §16.3 steps 1-3 and 5: well formed, a URI scheme we route, Max-Forwards > 0, Proxy-Require.
  if (auto rejection = sip::check_request(request, {sip::Role::proxy, {}})) {
    reject(transaction, request, rejection->status, rejection->reason, rejection->headers);
    return;
  }
  // §16.3 step 4: our own sent-by in a Via means the request has been here; the same loop hash
  // as a request still being forwarded means it came round unchanged: a loop, not a spiral.
  bool been_here = false;
  request.for_each_element(sip::HeaderId::via, [&](std::string_view element) {
    auto via = sip::parse_via(element);
    if (!via) return true;
    const auto protocol = net::protocol_from_via(via->transport).value_or(net::Protocol::udp);
    const std::uint16_t port = via->has_port ? via->port : net::default_port(protocol);
    if (identity_.is_ours(via->host, port)) been_here = true;
    return !been_here;
  });
  const std::uint64_t hash = loop_hash(request);
  if (been_here && std::any_of(contexts_.begin(), contexts_.end(),
                               [hash](const auto& entry) { return entry.second->loop == hash; })) {
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

  auto context = std::make_unique<Context>(transaction, request);
  context->arrival = flow;
  context->invite = request.method() == sip::Method::invite;
  context->outgoing_method = request.method();
  context->record_route = creates_dialog(request);
  if (context->record_route && issuer_) context->dialog = issuer_->dialog_of(request, flow);
  context->loop = hash;
  context->sender_identity = sender_identity(request, originator);
  context->may_reach_gateway = originator.may_reach_gateway;
  sip::Message& outgoing = context->outgoing;
  // A CANCEL gets here only when it matched no transaction (§16.10): forwarded as it is
  // needed, no more (proxy/stray_cancel.hpp).
  if (request.method() == sip::Method::cancel) strip_stray_cancel(outgoing);
  // RFC 3325 §5: an identity asserted by anyone outside the trust domain is not believed; ours
  // replaces it once the sender authenticated (§6: P-Preferred-Identity among its own).
  if (!originator.trusted)
    security::remove_untrusted_identity(outgoing, !originator.asserted_identity.empty());
  if (!originator.asserted_identity.empty()) {
    security::assert_identity(outgoing, originator.asserted_identity,
                              std::span<const std::string>(&originator.asserted_identity, 1));
  }

  // RFC 3261 §22.3: credentials for osprey's realms were for osprey alone.
  if (outgoing.count(sip::HeaderId::proxy_authorization) != 0 ||
      outgoing.count(sip::HeaderId::authorization) != 0) {
    std::vector<std::string> realms;
    for (const std::string& domain : identity_.domains()) realms.push_back(sip::canonical_host(domain));
    if (!originator.verified_realm.empty()) realms.push_back(originator.verified_realm);
    remove_consumed_credentials(outgoing, realms);
  }

  // §16.4: route information, as decided before access control judged the request.
  sip::apply_routes(outgoing, route);
  const std::string& request_uri = route.request_uri;
  const std::vector<std::string>& route_values = route.routes;
  context->tls_only = requires_tls(route);
  if (context->tls_only && !identity_.listens_on(net::Protocol::tls)) {
    reject(transaction, request, kSipsNotServedStatus, "Unsupported URI Scheme");
    return;
  }

  // §16.5: the target set.
  auto uri = sip::parse_uri(request_uri, {false});
  // A telephone number nobody here answers for goes to the gateway (the access control has
  // already applied the dial policy to it).
  const auto to_gateway = [&](const std::string& aor) {
    if (services_.gateway.empty() || !security::dialled_number(*uri)) return false;
    return aor.empty() || services_.users == nullptr || !services_.users->has_aor(aor);
  };
  if (uri && !uri->is_sip() && route_values.empty() && to_gateway({})) {
    ForwardTarget gateway = forward_target(request_uri, services_.gateway);
    gateway.routed_to_gateway = true;
    context->groups.push_back({std::move(gateway)});
    const ContextKey key = key_of(transaction);
    contexts_[key] = std::move(context);
    start_next_group(key);
    return;
  }
  if (!uri || !uri->is_sip()) {
    reject(transaction, request, 416, "Unsupported URI Scheme");
    return;
  }
  if (!route_values.empty()) {
    // A pre-loaded or recorded route goes on: the next hop is the top Route (a loose router;
    // strict next hops, §16.6 step 6, are not supported), the Request-URI stays.
    ForwardTarget routed = forward_target(request_uri, route.next_hop);
    routed.routed_to_gateway = !services_.gateway.empty() && route.next_hop == services_.gateway;
    context->groups.push_back({std::move(routed)});
  } else if (identity_.serves_uri(*uri)) {
    // The bindings of this AOR only: sip: and sips: are two AORs (RFC 3261 §19.1.4), so a sips:
    // request never reaches a binding made for sip: (nor the reverse), and a user registered
    // under the other scheme only is answered as one with no binding. Whether the user exists
    // asks about the account, written with either scheme.
    std::string aor = registrar::canonical_aor(*uri);
    const auto bindings = location_.lookup(aor, clock_());
    // Asked only when nobody is bound: the common case (a registered user) spends nothing on it.
    const std::string account = bindings.empty() ? registrar::account_aor(*uri) : std::string();
    if (bindings.empty() && to_gateway(account)) {
      ForwardTarget gateway = forward_target(request_uri, services_.gateway);
      gateway.routed_to_gateway = true;
      context->groups.push_back({std::move(gateway)});
    } else if (bindings.empty()) {
      // §16.5: 404 for a user with no account (only when accounts exist: an open
      // registrar knows no user list); else "not reachable now": 480, or stored if a MESSAGE.
      if (services_.users != nullptr && services_.users->size() > 0 && !services_.users->has_aor(account)) {
        report_not_reachable(request, 404, "no such account");
        reject(transaction, request, 404, "Not Found");
        return;
      }
      if (context->tls_only || services_.offline == nullptr ||
          !services_.offline->take(transaction, request, aor, sender_identity(request, originator))) {
        report_not_reachable(request, 480, "the user has no registered device");
        reject(transaction, request, 480, "Temporarily Unavailable");
      }
      return;
    } else {
      context->groups = target_groups(bindings, source_flow_open());
      context->served_aor = std::move(aor);
    }
  } else if (identity_.is_ours(*uri)) {
    // One of our addresses but no served domain: no user lives here, and forwarding it would
    // send it back to us.
    reject(transaction, request, 404, "Not Found");
    return;
  } else {
    context->groups.push_back({peer_target(request_uri, *uri, context->tls_only, originator.dialog_flow)});
  }

  const ContextKey key = key_of(transaction);
  const bool may_store_later =
      !context->served_aor.empty() && context->outgoing_method == sip::Method::message &&
      services_.offline != nullptr && services_.im_limits.delivery_timeout.count() > 0;
  contexts_[key] = std::move(context);
  if (may_store_later)
    delivery_deadlines_.emplace_back(txn::Clock::now() + services_.im_limits.delivery_timeout, key);
  start_next_group(key);
}

void ProxyCore::start_next_group(ContextKey key) {
  Context* context = find(key);
  if (context == nullptr) return;
  if (context->next_group >= context->groups.size()) {
    finish_if_done(key);
    return;
  }
  // Copied: starting a branch may end the context (a send that fails at once).
  const std::vector<ForwardTarget> group = context->groups[context->next_group++];
  const std::size_t first = context->branches.size();
  context->branches.resize(first + group.size());
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (find(key) == nullptr) return;
    start_branch(key, first + i, group[i]);
  }
}

void ProxyCore::start_branch(ContextKey key, std::size_t branch, const ForwardTarget& target) {
  if (target.destination) {
    send_branch(key, branch, target, *target.destination);
    return;
  }
  auto uri = sip::parse_uri(target.next_hop);
  if (!uri) {
    branch_ended(key, branch, 503, nullptr);
    return;
  }
  if (auto literal = literal_target(*uri)) {
    send_branch(key, branch, target, *literal);
    return;
  }
  if (!resolve_ || !net::target_of(*uri)) {
    branch_ended(key, branch, 503, nullptr);
    return;
  }
  find(key)->branches[branch].resolving = true;
  std::weak_ptr<bool> alive = alive_;
  resolve_(*uri, [this, alive, key, branch, target](tl::expected<net::ResolvedTarget, std::string> resolved) {
    if (alive.expired()) return;
    Context* context = find(key);
    if (context == nullptr || context->branches[branch].done) return;
    context->branches[branch].resolving = false;
    if (context->cancelled) {
      branch_ended(key, branch, 487, nullptr);
      return;
    }
    if (!resolved || resolved->endpoints.empty()) {
      branch_ended(key, branch, 503, nullptr);
      return;
    }
    if (target.routed_to_gateway && !is_gateway(resolved->endpoints.front()))
      gateway_endpoints_.push_back(
          {net::unmapped(resolved->endpoints.front().address), resolved->endpoints.front().port});
    send_branch(key, branch, target,
                txn::Target{resolved->protocol, resolved->endpoints.front(), resolved->server_name});
  });
}

void ProxyCore::send_branch(ContextKey key, std::size_t branch, const ForwardTarget& target,
                            const txn::Target& to_in) {
  Context* context = find(key);
  if (context == nullptr) return;
  // §16.6 steps 1-7.
  // The gateway dials what it gets: only what osprey routed there itself or access control
  // cleared reaches its address, whatever name or contact led there.
  if (!target.routed_to_gateway && !context->may_reach_gateway && is_gateway(to_in.destination)) {
    branch_ended(key, branch, 403, nullptr);
    return;
  }
  // RFC 3261 §26.2.2, RFC 5630 §3.1.3: a sips: request never leaves by UDP or TCP.
  if (!hop_allowed(context->tls_only, to_in.protocol)) {
    branch_ended(key, branch, kNoSecureHopStatus, nullptr);
    return;
  }
  // A Contact is whatever the registering UA wrote: one naming osprey's own address would bring
  // the request straight back as itself.
  if (target.binding_address &&
      identity_.is_ours(net::host_text(to_in.destination.address), to_in.destination.port)) {
    Branch& state = context->branches[branch];
    state.moved_to_stream = false;
    if (!target.fallback_hops.empty()) state.retry = std::make_unique<ForwardTarget>(target);
    if (!retry_branch(key, branch)) branch_ended(key, branch, 482, nullptr);
    return;
  }
  // Whether a second attempt may follow (retry_branch): then `outgoing` must stay for it. A
  // request that may grow past 1300 bytes could move to TCP and come back over UDP.
  const bool may_move =
      to_in.protocol == net::Protocol::udp && !to_in.keep_udp &&
      context->outgoing_method != sip::Method::message &&
      context->request_bytes.size() + kGrowthAllowance + routes_size(target.routes) > kUdpMessageLimit &&
      transport_.sent_by(net::Protocol::tcp, to_in.destination);
  if (may_move || !target.fallback_hops.empty()) context->keep_outgoing = true;
  // The last branch to send takes `outgoing` itself: with one target, no copy at all.
  const bool more_to_send =
      context->keep_outgoing || context->next_group < context->groups.size() ||
      std::any_of(context->branches.begin(), context->branches.end(), [&](const Branch& other) {
        return &other != &context->branches[branch] && !other.client && !other.done;
      });
  sip::Message message = more_to_send ? context->outgoing.clone() : std::move(context->outgoing);
  message.set_request_uri(target.request_uri);  // §16.6 step 2
  decrement_max_forwards(message);
  // RFC 3323 §5, RFC 3325 §7: what the sender asked to hide stays inside the trust domain.
  if (services_.trusted_peers == nullptr || !services_.trusted_peers->contains(to_in.destination.address)) {
    security::apply_privacy(message);
  }
  // RFC 3327 §5.3: the binding's Path, in order, before any Route already there.
  if (!target.routes.empty()) message.prepend_header(sip::HeaderId::route, sip::join_routes(target.routes));

  txn::Target to = to_in;
  std::size_t our_record_routes = 0;
  if (context->record_route) {
    our_record_routes = add_record_route(*context, branch, target, message, to);
  } else {
    our_address(to);  // learnt for loop detection: it is the sent-by of our Via
  }
  const bool moved = may_move && moves_to_stream(message, to);
  if (moved) {
    // §16.6 step 4: the Record-Route names the transport the callee reaches us by: TCP now.
    to.protocol = net::Protocol::tcp;
    to.peer_flow = false;  // osprey's choice of transport: a connection of its own
    for (std::size_t i = 0; i < our_record_routes; ++i)
      message.remove_first_element(sip::HeaderId::record_route);
    if (context->record_route) {
      add_record_route(*context, branch, target, message, to);
    } else {
      our_address(to);
    }
  }
  // RFC 3428 §8 / RFC 3261 §18.1.1: a MESSAGE over 1300 bytes must not go over UDP; the table
  // moves it to TCP when osprey can open one, else it is 513 (not stored: it would never fit).
  if (message_too_large_for(*context, to)) {
    branch_ended(key, branch, 513, nullptr);
    return;
  }
  Branch& state = context->branches[branch];
  state.moved_to_stream = moved;
  state.sent_to = to;
  if (moved || !target.fallback_hops.empty()) {
    state.retry = std::make_unique<ForwardTarget>(target);
  } else {
    state.retry.reset();
  }

  auto client = table_.send_request(std::move(message), to);
  if (!client) {
    report_transport_failure(*context, to, "could not send (send error, or no connection could be opened)");
    // §16.7 step 3 / §16.9: a transport error.
    if (!retry_branch(key, branch)) branch_ended(key, branch, 503, nullptr);
    return;
  }
  ++counters_.forwarded;
  context = find(key);
  if (context == nullptr) return;
  context->branches[branch].client = *client;
  branches_[key_of(txn::ServerTransactionId{client->index, client->generation})] = BranchRef{key, branch};
}

std::size_t ProxyCore::add_record_route(Context& context, std::size_t branch, const ForwardTarget& target,
                                        sip::Message& message, const txn::Target& to) {
  std::string token;
  if (issuer_) {
    token = issuer_->toward_caller(context.dialog, clock_());
    context.branches[branch].places = issuer_->branch_places(target, to);
  }
  auto at = our_address(to);
  if (!at) return 0;
  std::size_t added = 1;
  // When the request leaves by another transport or address family than it came in on, the two
  // sides of the dialog reach osprey at different addresses: two Record-Route values, the lower
  // one for the caller's side (RFC 5658 §3.2, RFC 3261 §16.6 step 4).
  // A sips: dialog reaches osprey over TLS on the caller's side too.
  const net::Flow& in = context.arrival;
  const net::Protocol inbound_protocol = context.tls_only ? net::Protocol::tls : in.protocol;
  if (inbound_protocol != to.protocol || in.remote.address.is_v4() != to.destination.address.is_v4()) {
    if (auto inbound = our_address({inbound_protocol, in.remote, {}})) {
      message.prepend_header(sip::HeaderId::record_route,
                             record_route_value(*inbound, inbound_protocol, token, context.tls_only));
      ++added;
    }
  }
  // §16.6 step 4: our URI with lr, naming the transport the next hop reaches us by.
  message.prepend_header(sip::HeaderId::record_route,
                         record_route_value(*at, to.protocol, token, context.tls_only));
  return added;
}

bool ProxyCore::moves_to_stream(const sip::Message& message, const txn::Target& to) const {
  // The request as it will go, but for our Via (kViaAllowance).
  return message.serialize().size() + kViaAllowance > kUdpMessageLimit &&
         transport_.sent_by(net::Protocol::tcp, to.destination).has_value();
}

bool ProxyCore::retry_branch(ContextKey key, std::size_t branch) {
  Context* context = find(key);
  if (context == nullptr || branch >= context->branches.size()) return false;
  Branch& state = context->branches[branch];
  if (state.done || !state.retry || context->cancelled || context->final_sent) return false;
  const ForwardTarget target = *state.retry;
  state.client.reset();
  state.retry.reset();
  if (state.moved_to_stream && !state.udp_retried && context->outgoing_method != sip::Method::message) {
    // §18.1.1 asks for TCP above 1300 bytes, but a UA registered over UDP may listen on nothing
    // else: the datagram (perhaps fragmented) is still the better chance than no call.
    state.udp_retried = true;
    ++counters_.udp_after_stream_failure;
    txn::Target to = state.sent_to;
    to.protocol = net::Protocol::udp;
    to.keep_udp = true;
    to.peer_flow = false;
    send_branch(key, branch, target, to);
    return true;
  }
  if (target.fallback_hops.empty()) return false;
  // A binding's next hop (registrar/binding_hop.hpp): its Contact after its own connection.
  ForwardTarget next = target;
  next.next_hop = std::move(next.fallback_hops.front());
  next.fallback_hops.erase(next.fallback_hops.begin());
  next.destination.reset();
  if (auto uri = sip::parse_uri(next.next_hop)) next.destination = literal_target(*uri);
  state.moved_to_stream = false;
  state.udp_retried = false;
  ++counters_.next_hop_after_transport_error;
  start_branch(key, branch, next);
  return true;
}

bool ProxyCore::on_response(txn::ClientTransactionId transaction, const sip::Message& response) {
  auto it = branches_.find(key_of(txn::ServerTransactionId{transaction.index, transaction.generation}));
  if (it == branches_.end()) {
    // RFC 6026 §7.3: the client INVITE transaction passes up every 2xx while Accepted: the
    // callee retransmits its 2xx until the ACK comes, and each one goes upstream (the first
    // may have been lost on the way to the caller, who then waits for a copy).
    if (forward_accepted_2xx(transaction, response)) return true;
    return forward_late_2xx(response);
  }
  const BranchRef ref = it->second;
  Context* context = find(ref.context);
  if (context == nullptr) {
    branches_.erase(it);
    forward_late_2xx(response);  // §16.7 step 5: a fork's 2xx after the request was answered
    return true;
  }
  const int status = response.status();
  if (status < 200) {
    // §16.7 step 5: 100 is never forwarded; any other provisional at once.
    if (status > 100 && !context->final_sent) forward_response(*context, response, ref.branch);
    return true;
  }
  branches_.erase(it);
  branch_ended(ref.context, ref.branch, status, &response);
  return true;
}

bool ProxyCore::on_client_failure(txn::ClientTransactionId transaction, int status) {
  auto it = branches_.find(key_of(txn::ServerTransactionId{transaction.index, transaction.generation}));
  if (it == branches_.end()) return false;
  const BranchRef ref = it->second;
  branches_.erase(it);
  // The table reports a transport error as 503 (connection refused, reset or closed, TLS
  // handshake failed) and a timeout as 408; only the first is the network's doing. Reported
  // also when the branch is tried again (retry_branch): the operator sees every failed hop.
  if (Context* context = find(ref.context);
      status == 503 && context != nullptr && ref.branch < context->branches.size()) {
    const txn::Target failed = context->branches[ref.branch].sent_to;
    const std::uint64_t over_udp = counters_.udp_after_stream_failure;
    const bool retried = retry_branch(ref.context, ref.branch);
    const std::string_view next = !retried ? "; the branch ends (503)"
                                  : counters_.udp_after_stream_failure != over_udp
                                      ? "; sent again over UDP"
                                      : "; sent to the binding's next hop";
    if (Context* still = find(ref.context)) {
      report_transport_failure(
          *still, failed,
          std::string("connection refused, reset or closed, or TLS failed, before a final answer")
              .append(next));
    }
    if (retried) return true;
  }
  // The stream the table chose for a large MESSAGE failed: UDP is no option (RFC 3428 §8).
  if (Context* context = find(ref.context);
      status == 503 && context != nullptr && context->outgoing_method == sip::Method::message &&
      context->request_bytes.size() + kViaAllowance > kUdpMessageLimit) {
    status = 513;
  }
  // The table reports a transport error as 503 (connection refused, reset or closed, TLS
  // handshake failed) and a timeout as 408; only the first is the network's doing.
  // §16.7 step 2 / §16.8: a timeout counts as a 408, a transport error as a 503.
  branch_ended(ref.context, ref.branch, status, nullptr);
  return true;
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

void ProxyCore::branch_ended(ContextKey key, std::size_t branch, int status, const sip::Message* response) {
  Context* context = find(key);
  if (context == nullptr || branch >= context->branches.size() || context->branches[branch].done) return;
  context->branches[branch].done = true;
  context->branches[branch].resolving = false;
  if (status >= 200 && status < 300 && response != nullptr) {
    // §16.7 step 5: every 2xx goes upstream at once (for INVITE each fork's, RFC 6026 §7.1);
    // §16.7 step 10: the other branches are cancelled.
    if (context->stored_id != 0) {
      // Stored by the delivery timeout, and delivered after all: the stored copy goes, so the
      // user does not get it twice.
      services_.offline->withdraw(context->stored_id);
      context->stored_id = 0;
    }
    if (!context->final_sent || context->invite) forward_response(*context, *response, branch);
    if (context->invite) remember_accepted(*context, branch);
    context->final_sent = true;
    cancel_pending(*context);
  } else {
    if (status >= 600) cancel_pending(*context);  // §16.7 step 10: a 6xx ends the search
    if (response != nullptr && (status == 401 || status == 407))
      collect_challenges(*context, branch, *response);
    if (!context->final_sent && better_final(*context, status)) {
      context->best_status = status;
      context->best_branch = branch;
      if (response != nullptr) {
        context->best = response->clone();
      } else {
        context->best.reset();
      }
    }
    // §16.7 step 10 ends the search at a 6xx by cancelling the other branches; a non-INVITE
    // cannot be cancelled (§9.1), and waiting for its silent branches would outlast the
    // client's Timer F (32 s): the user's decline goes upstream now.
    if (status >= 600 && !context->invite && !context->final_sent && response != nullptr) {
      context->final_sent = true;
      forward_response(*context, *response, branch);
    }
  }
  finish_if_done(key);
}

bool ProxyCore::better_final(const Context& context, int status) {
  // RFC 4320 §4.2: a non-INVITE is never answered 408 by a proxy, so any other final response
  // of a branch is the better one to pass on.
  if (!context.invite && context.best_status != 0) {
    if (status == 408) return false;
    if (context.best_status == 408) return true;
  }
  return better_response(status, context.best_status);
}

bool ProxyCore::stays_unanswered(Context& context) {
  // RFC 4320 §4.2: "A transaction-stateful SIP element MUST NOT send a response with
  // Status-Code of 408 to a non-INVITE request." Every branch timed out (or answered 408): the
  // client's own Timer F ends its transaction; ours ends without a response.
  if (context.invite || context.best_status != 408) return false;
  context.final_sent = true;
  table_.abandon(context.server);
  ++counters_.timeouts_unanswered;
  return true;
}

void ProxyCore::advance(txn::TimePoint now) {
  while (!delivery_deadlines_.empty() && delivery_deadlines_.front().first <= now) {
    const ContextKey key = delivery_deadlines_.front().second;
    delivery_deadlines_.pop_front();
    store_undelivered(key);
  }
}

void ProxyCore::store_undelivered(ContextKey key) {
  Context* context = find(key);
  if (context == nullptr || context->final_sent || !may_store(*context, true)) return;
  auto request = original_request(*context);
  if (!request) return;
  std::uint64_t stored_id = 0;
  if (!services_.offline->take(context->server, *request, context->served_aor, context->sender_identity,
                               &stored_id)) {
    return;  // not a message to keep (a typing notification, in-dialog): the branches decide
  }
  // RFC 3428 §7: answered 202 (once durable); the branches run on, and nothing they answer
  // goes upstream any more.
  ++counters_.stored_on_timeout;
  context->final_sent = true;
  context->stored_id = stored_id;
}

void ProxyCore::collect_challenges(Context& context, std::size_t branch, const sip::Message& response) {
  for (const sip::HeaderId header : {sip::HeaderId::www_authenticate, sip::HeaderId::proxy_authenticate}) {
    response.for_each_line(header, [&](std::string_view value) {
      context.challenges.push_back({branch, header, std::string(value)});
      return true;
    });
  }
}

void ProxyCore::cancel_pending(Context& context) {
  context.next_group = context.groups.size();  // no further targets
  if (!context.invite) return;                 // §9.1: only INVITE is cancelled
  std::vector<txn::ClientTransactionId> pending;
  for (Branch& branch : context.branches) {
    if (branch.done) continue;
    if (branch.client) {
      pending.push_back(*branch.client);
    } else if (branch.resolving) {
      branch.done = true;  // never sent: nothing to cancel
      branch.resolving = false;
    }
  }
  for (const auto& client : pending) table_.send_cancel(client);
}

void ProxyCore::finish_if_done(ContextKey key) {
  Context* context = find(key);
  if (context == nullptr) return;
  for (const Branch& branch : context->branches)
    if (!branch.done) return;
  if (!context->final_sent && !context->cancelled && context->next_group < context->groups.size()) {
    start_next_group(key);  // §16.6: the next q-value group
    return;
  }
  if (!context->final_sent && offer_to_store(*context)) {
    contexts_.erase(key);
    return;
  }
  if (!context->final_sent && stays_unanswered(*context)) {
    contexts_.erase(key);
    return;
  }
  if (!context->final_sent) {
    context->final_sent = true;
    if (context->cancelled && (!context->best || context->best_status == 503)) {
      // §16.10: the cancelled INVITE ends with 487; osprey makes it only when no branch gave a
      // final response of its own (the usual one being the callee's 487, forwarded below as
      // §16.7 step 6 wants, with the callee's To tag).
      reject_original(*context, 487, "Request Terminated");
    } else if (context->best && context->best_status != 503) {
      if (context->best_status == 401 || context->best_status == 407) {
        // §16.7 step 7: the other branches' challenges, unmodified, so the client can answer
        // them all in one retry.
        for (const Context::Challenge& challenge : context->challenges) {
          if (challenge.branch != context->best_branch)
            context->best->add_header(challenge.header, challenge.value);
        }
      }
      forward_response(*context, *context->best, context->best_branch);
    } else if (context->best_status == 503 || context->best_status == 0) {
      // §16.7 step 6: a 503 is not passed on (it would make the client think we are
      // overloaded); the proxy answers 500 instead. No branch at all (cannot happen with a
      // non-empty target set) is an unreachable user.
      reject_original(*context, context->best_status == 0 ? 480 : 500);
    } else {
      reject_original(*context, context->best_status);
    }
  }
  contexts_.erase(key);
}

void ProxyCore::forward_response(Context& context, const sip::Message& response, std::size_t branch) {
  // §16.7 step 3: our Via off the top; the table sends it where the request's Via says.
  sip::Message copy = response.clone();
  copy.remove_first_element(sip::HeaderId::via);
  // §16.7 step 4: our Record-Route value in a response that sets up the dialog carries the
  // caller's own token, bound to this callee.
  const int status = response.status();
  if (issuer_ && context.record_route && status > 100 && status < 300 && branch < context.branches.size())
    issuer_->give_caller_token(copy, context.dialog, context.branches[branch].places,
                               branch_flow(context.branches[branch]), clock_());
  if (response.status() >= 200) context.final_sent = true;
  table_.respond(context.server, copy);
}

void ProxyCore::on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel) {
  const ContextKey key = key_of(invite);
  Context* context = find(key);
  if (context == nullptr) {
    // Nothing forwarded (or already over): the INVITE is simply terminated (§9.2).
    auto response = sip::MessageBuilder::response_to(cancel, 487, {}, new_tag_()).build();
    if (!response || !cancel.cseq()) return;
    response->replace_header(sip::HeaderId::cseq, std::to_string(cancel.cseq()->number) + " INVITE");
    table_.respond(invite, *response);
    return;
  }
  // §16.10: CANCEL every pending branch; the 487 follows once they ended.
  context->cancelled = true;
  cancel_pending(*context);
  finish_if_done(key);
}

void ProxyCore::on_ack(const sip::Message& ack, const net::Flow& /*flow*/, bool may_reach_gateway,
                       const std::optional<security::DialogFlow>& dialog_flow) {
  if (ack.max_forwards() && *ack.max_forwards() == 0) return;
  forward_ack(ack.clone(), may_reach_gateway, dialog_flow);
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

void ProxyCore::forward_ack(sip::Message ack, bool may_reach_gateway,
                            const std::optional<security::DialogFlow>& dialog_flow) {
  // The ACK for a 2xx is its own end-to-end request (§13.2.2.4): it follows its Route set.
  auto route = sip::decide_route(ack, identity_);
  if (!route) {
    if (events_.ack_dropped) events_.ack_dropped(ack, "its Route set cannot be followed");
    return;
  }
  sip::apply_routes(ack, *route);
  // §22.3: the ACK of a 2xx repeats the INVITE's credentials (§13.2.2.4); those for osprey's
  // realms were osprey's and go no further, as for every other request.
  if (ack.count(sip::HeaderId::proxy_authorization) != 0 || ack.count(sip::HeaderId::authorization) != 0) {
    std::vector<std::string> realms;
    for (const std::string& domain : identity_.domains()) realms.push_back(sip::canonical_host(domain));
    remove_consumed_credentials(ack, realms);
  }
  const bool tls_only = requires_tls(*route);  // RFC 3261 §26.2.2: the ACK of a sips: dialog too
  const std::vector<std::string>& remaining = route->routes;
  const std::string& next_hop = route->next_hop;
  auto uri = sip::parse_uri(next_hop);
  if (!uri) {
    if (events_.ack_dropped) events_.ack_dropped(ack, "its next hop is not a URI");
    return;
  }
  if (remaining.empty() && identity_.serves_uri(*uri)) {
    // To one of our users: the highest-q binding (the dialog's peer is normally reached by its
    // contact in the Request-URI; this covers UAs whose ACK names the AOR).
    const auto groups =
        target_groups(location_.lookup(registrar::canonical_aor(*uri), clock_()), source_flow_open());
    if (groups.empty() || !groups.front().front().destination) {
      if (events_.ack_dropped) events_.ack_dropped(ack, "the served user it names has no usable binding");
      return;
    }
    const ForwardTarget& target = groups.front().front();
    // As for a branch (send_branch): a Contact naming osprey, or the gateway unjudged, is no
    // place to send it.
    const net::Endpoint& to = target.destination->destination;
    if (target.binding_address && identity_.is_ours(net::host_text(to.address), to.port)) return;
    if (!may_reach_gateway && is_gateway(to)) {
      if (events_.ack_dropped) events_.ack_dropped(ack, "toward the gateway, not judged for it");
      return;
    }
    if (!hop_allowed(tls_only, target.destination->protocol)) {
      if (events_.ack_dropped) events_.ack_dropped(ack, "a sips: dialog, and the hop is not TLS");
      return;
    }
    ack.set_request_uri(target.request_uri);
    decrement_max_forwards(ack);
    if (table_.send_ack(std::move(ack), *target.destination)) ++counters_.acks_forwarded;
    return;
  }
  if (remaining.empty() && identity_.is_ours(*uri)) return;  // for us: absorbed
  decrement_max_forwards(ack);
  // The ACK for a 2xx goes the way the dialog's other requests go: over the peer's flow when its
  // token names one osprey can use (dialog_flow_hop), else to the Request-URI.
  std::optional<txn::Target> literal;
  if (remaining.empty() && dialog_flow) literal = dialog_flow_hop(*dialog_flow, *uri, tls_only, transport_);
  if (literal && identity_.is_ours(net::host_text(literal->destination.address), literal->destination.port))
    literal.reset();
  if (!literal) literal = literal_target(*uri);
  if (literal) {
    if (!may_reach_gateway && is_gateway(literal->destination)) {
      if (events_.ack_dropped) events_.ack_dropped(ack, "toward the gateway, not judged for it");
      return;
    }
    if (!hop_allowed(tls_only, literal->protocol)) {
      if (events_.ack_dropped) events_.ack_dropped(ack, "a sips: dialog, and the hop is not TLS");
      return;
    }
    if (table_.send_ack(std::move(ack), *literal)) ++counters_.acks_forwarded;
    return;
  }
  if (!resolve_) return;
  auto shared = std::make_shared<sip::Message>(std::move(ack));
  std::weak_ptr<bool> alive = alive_;
  resolve_(*uri, [this, alive, shared, may_reach_gateway,
                  tls_only](tl::expected<net::ResolvedTarget, std::string> resolved) {
    if (alive.expired() || !resolved || resolved->endpoints.empty()) return;
    if (!may_reach_gateway && is_gateway(resolved->endpoints.front())) {
      if (events_.ack_dropped) events_.ack_dropped(*shared, "toward the gateway, not judged for it");
      return;
    }
    if (!hop_allowed(tls_only, resolved->protocol)) {
      if (events_.ack_dropped) events_.ack_dropped(*shared, "a sips: dialog, and the hop is not TLS");
      return;
    }
    if (table_.send_ack(std::move(*shared),
                        {resolved->protocol, resolved->endpoints.front(), resolved->server_name}))
      ++counters_.acks_forwarded;
  });
}

void ProxyCore::remember_accepted(const Context& context, std::size_t branch) {
  const Branch& answered = context.branches[branch];
  if (!answered.client) return;
  AcceptedBranch accepted{context.server, false, {}, {}, {}};
  if (issuer_ && context.record_route) {
    // Only what the caller's token needs, and only when tokens are issued: an entry lives 40 s
    // per answered call.
    accepted.record_route = true;
    accepted.dialog = context.dialog;
    accepted.places = answered.places;
    accepted.flow = branch_flow(answered);
  }
  accepted_.remember(key_of(txn::ServerTransactionId{answered.client->index, answered.client->generation}),
                     std::move(accepted), clock_());
}

bool ProxyCore::forward_accepted_2xx(txn::ClientTransactionId transaction, const sip::Message& response) {
  if (response.status() < 200 || response.status() >= 300) return false;
  const AcceptedBranch* accepted =
      accepted_.find(key_of(txn::ServerTransactionId{transaction.index, transaction.generation}), clock_());
  if (accepted == nullptr) return false;
  // §16.7 steps 3-5 as for the first 2xx: our Via off, the caller's token in our Record-Route.
  sip::Message copy = response.clone();
  copy.remove_first_element(sip::HeaderId::via);
  if (issuer_ && accepted->record_route)
    issuer_->give_caller_token(copy, accepted->dialog, accepted->places, accepted->flow, clock_());
  if (!table_.respond(accepted->server, copy)) return false;
  ++counters_.stray_forwarded;
  return true;
}

bool ProxyCore::forward_late_2xx(const sip::Message& response) {
  if (response.status() < 200 || response.status() >= 300 || !response.cseq() ||
      response.cseq()->method != sip::Method::invite) {
    return false;
  }
  forward_2xx_upstream(response);
  return true;
}

void ProxyCore::on_stray_response(const sip::Message& /*response*/, const net::Flow& /*flow*/) {
  // RFC 6026 §7.3: a transaction-stateful proxy "MUST NOT forward the response if there is no
  // matching transaction state machine". The §16.7 robustness rule it replaces let anyone who wrote osprey's
  // address in a top Via have a response (and its body) relayed to the address of the second, and two proxies
  // bounce it. Late 2xx of a fork still reach the caller: their client transaction stays in Accepted (RFC
  // 6026 §7.2) and passes them up to forward_late_2xx.
  ++counters_.stray_dropped;
}

void ProxyCore::forward_2xx_upstream(const sip::Message& response) {
  // A 2xx to an INVITE of ours whose server transaction has answered already goes on to the
  // next Via, if the top one is ours.
  if (!response.top_via()) return;
  const sip::Via& top = *response.top_via();
  const auto top_protocol = net::protocol_from_via(top.transport).value_or(net::Protocol::udp);
  if (!identity_.is_ours(top.host, top.has_port ? top.port : net::default_port(top_protocol))) return;
  sip::Message copy = response.clone();
  copy.remove_first_element(sip::HeaderId::via);
  auto reparsed = sip::Message::parse(copy.serialize());
  if (!reparsed || !reparsed->top_via()) return;
  const sip::Via& next = *reparsed->top_via();
  // Anyone can put our address in a top Via, so what goes out here must not open anything new:
  // UDP only (over TCP or TLS it would open a connection to any host the Via names; a caller on
  // a stream got the first 2xx over it reliably), and never to ourselves (each pass would strip
  // one Via and send again: a loop fed by one datagram).
  if (net::protocol_from_via(next.transport) != net::Protocol::udp) return;
  // §18.2.2 and RFC 3581 §4: received (else the sent-by host) and rport (else the sent-by port).
  std::string host(next.has_received ? next.received : next.host);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code bad;
  const auto address = boost::asio::ip::make_address(host, bad);
  if (bad) return;
  std::uint16_t port = next.has_port ? next.port : net::default_port(net::Protocol::udp);
  if (next.has_rport && !next.rport.empty()) {
    unsigned value = 0;
    bool digits = next.rport.size() <= 5;
    for (char c : next.rport) {
      if (c < '0' || c > '9') digits = false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (digits && value > 0 && value < 65536) port = static_cast<std::uint16_t>(value);
  }
  if (identity_.is_ours(net::host_text(address), port)) return;
  if (transport_.send_to(net::Protocol::udp, {address, port}, reparsed->serialize()))
    ++counters_.stray_forwarded;
}

}  // namespace osprey::proxy
