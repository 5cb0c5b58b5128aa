#pragma once
// The stateful proxy of RFC 3261 §16: the transaction user for every request osprey does not
// answer itself. Per request, a response context (response_context.hpp) maps the server
// transaction to its branches (client transactions), the targets still to try and the best final
// response so far (§16.7). ProxyCore ties the steps together; each has its own source file:
//
//  §16.3  validation: 483 (Max-Forwards 0), 420 (Proxy-Require), 416 in the sanity stage of the
//         request pipeline (proxy/stage_sanity.hpp), before the proxy; here (proxy_core.cpp) loops
//         (482) told from spirals by loop_check.hpp and loop_hash.hpp;
//  §16.4  route information (sip/route_decision.hpp): a Request-URI we record-routed (strict
//         previous hop) is replaced by the last Route; our own top Route values are popped;
//  §16.5  target set (proxy_core.cpp): a served domain from the location service (no live
//         binding: 404 for a user without an account when accounts exist, else 480 — or, for a
//         MESSAGE, stored and answered 202 by the im layer), else the Request-URI alone (or the
//         remaining Route's next hop);
//  §16.6  forwarding (proxy_forward.cpp, branch_request.hpp): copy, new Request-URI,
//         Max-Forwards - 1 (70 when absent), Record-Route on dialog-creating requests (INVITE,
//         SUBSCRIBE, REFER; twice when the transport or address family changes, RFC 5658), Path
//         as Route; the table adds Via. Step 7, the next hop of a binding: registrar/binding_hop.hpp
//         (a Contact naming osprey itself: 482). §18.1.1: over 1300 bytes toward UDP, TCP (named
//         in the Record-Route), and UDP after all when that connection is refused or reset; a
//         transport error passes the branch to the binding's next hop. §22.3: credentials for
//         osprey's realms are not forwarded. Step 11, Timer C: the transaction table's
//         (TimerSettings::timer_c, restarted by each provisional but 100; §16.8: it CANCELs the
//         branch);
//  §16.7  responses (proxy_responses.cpp, response_choice.hpp): 100 absorbed, other 1xx and every
//         2xx forwarded at once, a 2xx or 6xx cancels the other branches, else the best final
//         once every branch ended (503 -> 500); a forwarded 401/407 carries the challenges of the
//         other branches' 401/407 (step 7);
//  §16.10 CANCEL (proxy_responses.cpp): every pending branch cancelled, the INVITE answered 487
//         when they ended.
//  §16.11 stateless (proxy_stateless.cpp): ACKs for 2xx are forwarded without a transaction.
//         Every further 2xx a client transaction in Accepted passes up (retransmissions, other
//         forks of a downstream proxy) goes upstream through the INVITE's server transaction
//         while it is Accepted (RFC 6026 §7.1), so over the caller's own TCP or TLS connection
//         too; later, statelessly over UDP. A response matching no transaction is dropped
//         (RFC 6026 §7.3).
//
// Identity (RFC 3325, RFC 3323): P-Asserted-Identity from outside the trust domain removed, the
// authenticated user's asserted instead (P-Preferred-Identity honoured among its identities);
// Privacy: id / header applied toward next hops outside the trust domain. Numbers with no
// account go to the configured gateway.
//
// MESSAGE (RFC 3428, proxy_offline.cpp): never record-routed; over the body limit 413; over 1300
// bytes with no stream toward a UDP next hop 513 (§8); to an unreachable served user stored by
// the im layer.
//
// RFC 3263 §4.3 (proxy_forward.cpp): a target's resolved hops are tried in turn, each a new
// client transaction, when one fails with a transport error, a timeout without any response, or
// a 503; the branch ends when none is left, with the best response of them. Hops that failed a
// moment ago are tried last (net/destination_blocklist.hpp). §16.5 / §16.7 step 4: the Contacts
// of a 3xx join the target set (proxy/redirect_targets.hpp), judged as any target.
//
// Not done: strict routers as next hop (§16.6 step 6).

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "im/message_rules.hpp"
#include "im/store_and_forward.hpp"
#include "net/destination_blocklist.hpp"
#include "net/flow.hpp"
#include "net/local_identity.hpp"
#include "net/target_resolver.hpp"
#include "net/transport.hpp"
#include "proxy/accepted_branches.hpp"
#include "proxy/dialog_token_issuer.hpp"
#include "proxy/proxy_events.hpp"
#include "proxy/redirect_targets.hpp"
#include "proxy/target_set.hpp"
#include "security/address_set.hpp"
#include "security/dialog_token.hpp"
#include "sip/message.hpp"
#include "sip/route_decision.hpp"
#include "store/location_store.hpp"
#include "store/user_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {

// The local services the proxy consults; every pointer may be null (the service is off).
struct ProxyServices {
  // Accounts: with at least one, a served user without an account is unknown (404).
  // Without any, every user of a served domain is known: an open registrar (480 when offline).
  const store::UserStore* users = nullptr;
  // RFC 3428 store-and-forward: MESSAGEs to served users that cannot be delivered now.
  im::OfflineMessages* offline = nullptr;
  im::ImLimits im_limits;  // 413 above the body limit, for every MESSAGE
  // RFC 3325 trust domain: next hops that may see a P-Asserted-Identity the sender asked to hide
  // (Privacy: id); null: nobody is trusted.
  const security::AddressSet* trusted_peers = nullptr;
  // Where calls to telephone numbers with no account go (a sip: URI); empty: nowhere (404/416).
  std::string gateway;
  // Signs the Record-Route of every dialog osprey admits (security/dialog_token.hpp); null: none.
  const security::DialogToken* dialog_tokens = nullptr;
  // RFC 3263 §4.3: destinations that failed a moment ago are tried last; null: none remembered.
  net::DestinationBlocklist* blocklist = nullptr;
  // §16.5 / §16.7 step 4: recursion on the Contacts of a 3xx.
  RedirectSettings redirects{};
  // The access control's dial policy, for targets learnt after it judged the request (3xx
  // Contacts); null: none.
  const security::DialPolicy* dial_policy = nullptr;
};

// Who sent a request, as the access control decided (RFC 3325 §4).
struct Originator {
  std::string asserted_identity;  // the authenticated AOR; empty: not authenticated
  bool trusted = false;           // a trusted peer: its P-Asserted-Identity stands
  // Access control judged that the request may be delivered at the gateway's address (a clean
  // number through the dial policy, a dialog with the gateway, nothing to judge). Without it, a
  // branch whose address is the gateway's is refused 403 unless osprey routed it there itself.
  bool may_reach_gateway = true;
  // RFC 3261 §22.3: the realm of the Proxy-Authorization osprey verified. Those credentials
  // were for osprey and are consumed here: no next hop sees them (they would hand the caller's
  // digest to the callee). Empty: nothing verified, every credential goes on.
  std::string verified_realm;
  // In-dialog with no Route left: the peer's flow its dialog token binds (verified by access
  // control), tried before the Request-URI (proxy/dialog_flow_hop.hpp).
  std::optional<security::DialogFlow> dialog_flow;
  // Along a Path osprey added (security::AccessDecision::path_flow): the flow the request goes
  // over, and nowhere else (RFC 5626 §5.3: 430 when it is gone).
  std::optional<security::DialogFlow> path_flow;
  // The request may go beyond our users (the sender authenticated, is a trusted peer, or
  // nothing is judged): targets learnt later (3xx Contacts) may be followed. An unauthenticated
  // request let in for our users only is never sent elsewhere (no open relay by redirection).
  bool may_relay = true;
};

struct ProxyCounters {
  std::uint64_t requests = 0;   // handled (forwarded or answered)
  std::uint64_t forwarded = 0;  // client transactions started
  std::uint64_t rejected = 0;   // answered by the proxy itself (4xx/5xx)
  std::uint64_t loops = 0;      // 482
  std::uint64_t acks_forwarded = 0;
  std::uint64_t stray_forwarded = 0;      // late 2xx of a matched client transaction
  std::uint64_t stray_dropped = 0;        // responses that matched no transaction (RFC 6026 §7.3)
  std::uint64_t timeouts_unanswered = 0;  // non-INVITEs left without a 408 (RFC 4320 §4.2)
  std::uint64_t stored_on_timeout = 0;    // MESSAGEs stored when their delivery timeout ran out
  // Branches sent again after a transport error (ProxyCore::retry_branch), by cause: over UDP
  // after the TCP connection §18.1.1 asked for was refused or reset; to a binding's next hop
  // (its Contact after its own connection failed).
  std::uint64_t udp_after_stream_failure = 0;
  std::uint64_t next_hop_after_transport_error = 0;
  // RFC 5626 §5.3: branches answered 430 because an outbound binding's flow was gone (each
  // removed that binding).
  std::uint64_t flows_failed = 0;
  // RFC 3263 §4.3: branches sent to the next address of their resolved target after the one
  // they were at failed (transport error, timeout, 503).
  std::uint64_t next_address_after_failure = 0;
  std::uint64_t redirect_targets_added = 0;  // §16.5: 3xx Contacts added to the target set
};

class ProxyCore {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch (binding expiry)
  using NewTag = std::function<std::string()>;
  // Resolves a host name target (the TargetResolver); empty: only IP literals are reached.
  using Resolve = std::function<void(const sip::Uri&, net::ResolveCallback)>;

  ProxyCore(txn::TransactionTable& table, net::Transport& transport, store::LocationStore& location,
            net::LocalIdentity identity, Clock clock, NewTag new_tag, Resolve resolve = {});
  ~ProxyCore();
  ProxyCore(const ProxyCore&) = delete;
  ProxyCore& operator=(const ProxyCore&) = delete;

  net::LocalIdentity& identity() { return identity_; }
  // Set once, before traffic.
  void attach(ProxyServices services);
  void set_dialog_tokens(const security::DialogToken* tokens);
  // The access control's dial policy (ProxyServices::dial_policy), for 3xx Contacts.
  void set_dial_policy(const security::DialPolicy* policy) { services_.dial_policy = policy; }
  // Told of branches lost to transport errors and of ACKs not forwarded (the server logs them).
  void set_events(ProxyEvents events) { events_ = std::move(events); }

  // `route`: the request's §16.4 route processing, decided before access control judged it
  // (the overload without it decides here, for callers with no access control).
  void handle_request(txn::ServerTransactionId transaction, const sip::Message& request,
                      const net::Flow& flow, const sip::RouteDecision& route,
                      const Originator& originator = {});
  void handle_request(txn::ServerTransactionId transaction, const sip::Message& request,
                      const net::Flow& flow, const Originator& originator = {});
  // True when the client transaction is one of the proxy's branches (else the caller's own).
  bool on_response(txn::ClientTransactionId transaction, const sip::Message& response);
  bool on_client_failure(txn::ClientTransactionId transaction, int status);
  void on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel);
  // `may_reach_gateway`, `dialog_flow`: as in Originator, for this ACK.
  void on_ack(const sip::Message& ack, const net::Flow& flow, bool may_reach_gateway = true,
              const std::optional<security::DialogFlow>& dialog_flow = {});
  void on_stray_response(const sip::Message& response, const net::Flow& flow);

  // Timers of the proxy itself (the MESSAGE delivery timeout); call on every tick of the
  // worker, with the transaction table's clock.
  void advance(txn::TimePoint now);

  // RFC 3263 §4.3: the addresses of one target tried at most: a name an attacker controls
  // must not hold a branch for hours of timeouts (32 s each).
  static constexpr std::size_t kMaxHopsPerTarget = 8;

  const ProxyCounters& counters() const { return counters_; }
  // The gateway's address: known from an IP literal at attach(), or learnt when its name resolves.
  bool is_gateway(const net::Endpoint& endpoint) const;
  std::size_t active_requests() const { return contexts_.size(); }

 private:
  struct Branch {
    std::optional<txn::ClientTransactionId> client;
    bool resolving = false;
    bool done = false;
    std::vector<std::string> places;  // the callee's places this branch chose (dialog tokens)
    // Set when the branch may be sent a second time after a transport error (retry_branch):
    // its target, where it went, and whether osprey moved it from UDP to TCP (§18.1.1).
    std::unique_ptr<ForwardTarget> retry;
    txn::Target sent_to;
    bool moved_to_stream = false;
    bool udp_retried = false;
    // ForwardTarget::flow_only and outbound_binding of the target sent: a transport error fails
    // its flow (430), and removes that binding.
    bool flow_only = false;
    std::shared_ptr<const store::Binding> outbound_binding;
    // RFC 3263 §4.3: the resolved hops of this target not tried yet, and their TLS name.
    std::vector<net::ResolvedHop> hops_left;
    std::string server_name;
    bool answered = false;            // a response came from the hop the branch is at (it is alive)
    std::uint8_t redirect_depth = 0;  // of its target (ForwardTarget::redirect_depth)
  };
  // Why a hop gave up: RFC 3263 §4.3 moves on to the next address for each.
  enum class HopFailure : std::uint8_t {
    transport,    // send error, connection refused or reset, TLS failed (§17.1.4: a 503)
    timeout,      // Timer B/F without any response (§17.1.1.2: a 408)
    unavailable,  // a 503 response (§21.5.4)
    refused,      // osprey's own rule for that address (gateway, scheme, scope)
    itself,       // the address is osprey's own (a Contact naming it): the binding's next hop too
  };
  struct Context;
  using ContextKey = std::uint64_t;

  static ContextKey key_of(txn::ServerTransactionId id) {
    return (static_cast<std::uint64_t>(id.index) << 32) | id.generation;
  }
  Context* find(ContextKey key);

  // proxy_core.cpp: §16.3-§16.5, the request side.
  // Answers the request with our own final response (and forgets the context if it has one).
  void reject(txn::ServerTransactionId transaction, const sip::Message& request, int status,
              std::string_view reason = {},
              const std::vector<std::pair<std::string, std::string>>& headers = {});
  // The request a context holds, parsed again from its bytes, its top Via stamped as on arrival.
  static std::optional<sip::Message> original_request(const Context& context);
  // The same for a request whose context holds it (parsed again from its bytes).
  void reject_original(Context& context, int status, std::string_view reason = {});
  // §16.3 step 4 (loop_check.hpp): been here, and the same request is still being forwarded.
  bool is_loop(const sip::Message& request, std::uint64_t hash) const;
  std::unique_ptr<Context> open_context(txn::ServerTransactionId transaction, const sip::Message& request,
                                        const net::Flow& flow, std::uint64_t loop,
                                        const Originator& originator);
  // §16.5: the target set into context.groups; false when the request was answered instead.
  bool choose_targets(Context& context, const sip::Message& request, const sip::RouteDecision& route,
                      const Originator& originator);
  // §16.5 for a served domain: the location service (or the gateway, 404, 480, stored).
  bool served_targets(Context& context, const sip::Message& request, const sip::Uri& uri,
                      const std::string& request_uri);
  // A telephone number nobody here answers for (`aor`: its account, empty to skip asking).
  bool to_gateway(const sip::Uri& uri, const std::string& aor) const;
  ForwardTarget gateway_target(const std::string& request_uri) const;
  // Keeps the context and starts its first q-value group.
  void start_context(std::unique_ptr<Context> context);
  // For target_groups: whether a binding's stream connection is still open (the transport).
  registrar::ConnectionOpen source_flow_open() const;
  // Our Via/Record-Route address toward `to`, learnt as ours.
  std::optional<net::Endpoint> our_address(const txn::Target& to);
  // The Request-URI's target of an in-dialog request with no Route left: over the peer's flow
  // when its token names one osprey can use (dialog_flow_hop), with the Request-URI after it.
  ForwardTarget peer_target(const std::string& request_uri, const sip::Uri& uri, bool tls_only,
                            const std::optional<security::DialogFlow>& dialog_flow) const;
  // The callee's flow a branch used, for the caller's token; nullopt before it was sent.
  static std::optional<security::DialogFlow> branch_flow(const Branch& branch);
  // Tells services_.events of a branch lost to a transport error.
  void report_transport_failure(const Context& context, const txn::Target& to, std::string_view cause) const;
  void report_not_reachable(const sip::Message& request, int status, std::string_view why) const;

  // proxy_forward.cpp: §16.6, one branch per target.
  // RFC 3261 §18.1.1's 1300 bytes, judged on the request as received plus room for our Via and
  // the other edits of §16.6 (Max-Forwards, Route): close enough without serialising twice.
  static constexpr std::size_t kUdpMessageLimit = 1300;
  static constexpr std::size_t kViaAllowance = 120;
  // What §16.6 may add to a request besides our Via (Record-Route twice with a dialog token,
  // Max-Forwards, a Path's Route): below this margin, no request can reach 1300 bytes.
  static constexpr std::size_t kGrowthAllowance = 600;
  void start_next_group(ContextKey key);
  void start_branch(ContextKey key, std::size_t branch, const ForwardTarget& target);
  void send_branch(ContextKey key, std::size_t branch, const ForwardTarget& target, const txn::Target& to);
  // The checks of a branch's destination before anything is built; true when the branch ended.
  bool branch_refused(Context& context, ContextKey key, std::size_t branch, const ForwardTarget& target,
                      const txn::Target& to);
  // §16.6 steps 1-3 and the Path (RFC 3327): the branch's copy of the request (the last one
  // takes `outgoing` itself).
  sip::Message branch_request(Context& context, std::size_t branch, const ForwardTarget& target,
                              const txn::Target& to);
  // §16.6 step 4 and §18.1.1: our Record-Route, and TCP for a request over 1300 bytes when
  // `may_move`; `to` changes with it. True when the request moved to TCP.
  bool record_and_choose_transport(Context& context, std::size_t branch, const ForwardTarget& target,
                                   sip::Message& message, txn::Target& to, bool may_move);
  // After a transport error (§16.7 step 3 would count it a 503), a second try for the branch:
  // a request osprey moved from UDP to TCP for its size goes over UDP after all when the
  // connection is refused or reset (the UA has no TCP listener: a UDP datagram over 1300 bytes
  // may still arrive, a refused connection never does); else a binding's next hop. False when
  // there is nothing to try.
  bool retry_branch(ContextKey key, std::size_t branch, HopFailure why = HopFailure::transport);
  // A resolved target's hops, in the order to try them (the blocklist's last), at most
  // kMaxHopsPerTarget.
  void order_hops(std::vector<net::ResolvedHop>& hops) const;
  // The hop `to` failed: on the blocklist (transport error, timeout; a 503 for its Retry-After).
  void remember_failed_hop(const txn::Target& to, HopFailure why, const sip::Message* response);
  // A hop's refusal by osprey's own rules: the next hop of the target, else the branch ends.
  void refuse_hop(ContextKey key, std::size_t branch, const ForwardTarget& target, int status,
                  HopFailure why = HopFailure::refused);
  // RFC 3261 §18.1.1: over 1300 bytes (with our Via) toward a UDP target, TCP when osprey
  // listens on it. Decided here rather than left to the table so the Record-Route names the
  // transport the request actually takes (§16.6 step 4). `message`: the request, edited.
  bool moves_to_stream(const sip::Message& message, const txn::Target& to) const;
  // §16.6 step 4: our Record-Route value(s) toward `to` (two when the transport or address
  // family changes, RFC 5658); returns how many were prepended.
  std::size_t add_record_route(Context& context, std::size_t branch, const ForwardTarget& target,
                               sip::Message& message, const txn::Target& to);

  // proxy_responses.cpp: §16.7 and §16.10.
  void branch_ended(ContextKey key, std::size_t branch, int status, const sip::Message* response);
  // §16.7 step 6: keeps the final (and step 7, its challenges) if it is the best so far.
  void keep_if_best(Context& context, std::size_t branch, int status, const sip::Message* response);
  // §16.5 / §16.7 step 4: the 3xx's Contacts that may be followed join the target set (tried
  // once the current group ended); true when some did, and the 3xx is then not kept.
  bool recurse_on_redirect(Context& context, std::size_t branch, const sip::Message& response);
  // RFC 4320 §4.2: a non-INVITE whose best final is 408 gets no response; true when so.
  bool stays_unanswered(Context& context);
  void cancel_pending(Context& context);
  void finish_if_done(ContextKey key);
  // §16.7 steps 6-7, §16.10: every branch ended without a 2xx; the final response goes upstream.
  void send_final(Context& context);
  // `branch`: the branch the response came from (its places go into the caller's token).
  void forward_response(Context& context, const sip::Message& response, std::size_t branch);

  // proxy_stateless.cpp: §16.11 and RFC 6026, without a response context.
  // A 2xx to an INVITE that no pending branch takes (a retransmission, or a fork answering
  // after the request was answered) goes on statelessly along the Vias; false for anything else.
  bool forward_late_2xx(const sip::Message& response);
  // RFC 6026 §7.1, §8.4: a 2xx passed up by a branch already answered 2xx goes through the
  // INVITE's server transaction (Accepted), over the caller's own flow; false when that
  // transaction is unknown or over.
  bool forward_accepted_2xx(txn::ClientTransactionId transaction, const sip::Message& response);
  void remember_accepted(const Context& context, std::size_t branch);
  void forward_ack(sip::Message ack, bool may_reach_gateway,
                   const std::optional<security::DialogFlow>& dialog_flow);
  // An ACK whose Request-URI names a served user: to that user's first binding.
  void forward_ack_to_user(sip::Message ack, const sip::Uri& uri, bool may_reach_gateway, bool tls_only);
  bool ack_hop_refused(const sip::Message& ack, const txn::Target& to, bool may_reach_gateway,
                       bool tls_only) const;
  void send_ack_to(sip::Message ack, const txn::Target& to, bool may_reach_gateway, bool tls_only);
  void report_ack_dropped(const sip::Message& ack, std::string_view why) const;

  // proxy_flow_failed.cpp: RFC 5626 §5.3. The branch toward a flow that is gone ends 430 (Flow
  // Failed); `binding` (may be null: a Path flow) leaves the location service, the flow being
  // the only way to it.
  void flow_failed(ContextKey key, std::size_t branch, const store::Binding* binding);
  // A request along a Path osprey added (Originator::path_flow): over that flow only; a stream
  // connection that is gone is `flow_failed`.
  ForwardTarget path_flow_target(const std::string& request_uri, const security::DialogFlow& flow) const;
  // RFC 3327 §4.1 / RFC 5626 §5.1: a REGISTER osprey forwards gets a Path with its own URI
  // toward `to` (ob when the UA supports outbound; the flow token of its arrival flow), and
  // "Supported: path". Returns the Path values added (0 or 1).
  std::size_t add_path(const Context& context, sip::Message& message, const txn::Target& to);

  // proxy_offline.cpp: RFC 3428 store-and-forward.
  // A served user no branch reached: store-and-forward for a MESSAGE (true: answered).
  bool offer_to_store(Context& context);
  // The delivery timeout (ImLimits::delivery_timeout) of a MESSAGE to a served user ran out
  // with no branch answered: stored and answered 202 now, the branches left running.
  void store_undelivered(ContextKey key);
  // Store-and-forward applies to this MESSAGE if every branch failed the way `status` says.
  // deadline_passed: asked at the MESSAGE delivery timeout, branches may still be running.
  bool may_store(const Context& context, bool deadline_passed = false) const;
  // RFC 3428 §8: a MESSAGE this large needs a stream toward `to`, and osprey has none to offer.
  bool message_too_large_for(const Context& context, const txn::Target& to) const;
  void forward_2xx_upstream(const sip::Message& response);

  txn::TransactionTable& table_;
  net::Transport& transport_;
  store::LocationStore& location_;
  net::LocalIdentity identity_;
  Clock clock_;
  NewTag new_tag_;
  Resolve resolve_;
  ProxyServices services_;
  ProxyEvents events_;
  std::optional<DialogTokenIssuer> issuer_;  // with services_.dialog_tokens
  std::vector<net::Endpoint> gateway_endpoints_;
  std::unordered_map<ContextKey, std::unique_ptr<Context>> contexts_;
  struct BranchRef {
    ContextKey context;
    std::size_t branch;
  };
  std::unordered_map<std::uint64_t, BranchRef> branches_;  // by client transaction
  // MESSAGE delivery timeouts, in the order they run out (one duration for all).
  std::deque<std::pair<txn::TimePoint, ContextKey>> delivery_deadlines_;
  // Longer than Timer L and M (64*T1, 32 s with the default T1): past it the server
  // transaction is gone and respond() fails anyway.
  static constexpr std::int64_t kAcceptedSeconds = 40;
  AcceptedBranches accepted_{kAcceptedSeconds};
  ProxyCounters counters_;
  // Shared with the resolver callbacks, which must not touch a destroyed core.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace osprey::proxy
