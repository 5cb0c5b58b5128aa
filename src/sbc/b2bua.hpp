#pragma once
// The back-to-back user agent of SBC mode (DESIGN.md: sbc/ beside the proxy). It lives on one
// worker beside proxy::ProxyCore and uses the worker's own txn::TransactionTable for both legs:
// no lock, no thread hop on the call path.
//
// A call from one of our users whose Request-URI matches a `[[dialplan.route]]` (after the
// pipeline's access control: authenticated, owner of its From, through the dial policy), or a
// call from a trunk (by source address) to one of our users, is taken here (the routing stage's
// proxy::SessionBorder): the caller leg is answered as a UAS, and a callee leg is built from
// scratch as a UAC (sbc/leg_request.hpp): new Call-ID, From tag, CSeq space, Via (the
// table's), Contact naming the leg by an unguessable id (sbc/leg_contact.hpp), allow-listed
// end-to-end headers and the body. Nothing else crosses (topology hiding).
//
//  - INVITE responses (b2bua_responses.cpp): 100 absorbed; 1xx with a caller To tag of osprey's
//    own per callee early dialog (§12.1); 2xx confirms the call; toward trunks, failover to the
//    route's next trunk on 408, 5xx and timeouts while nothing beyond 100 reached the caller;
//    a trunk's 401/407 is answered with its TrunkCredentials (new CSeq), and reaches the
//    caller as 403 when it cannot be (its challenge is for osprey, never for the caller).
//  - ACK for a 2xx: each leg's own (§13.2.2.4), the callee leg's sent when the caller's comes
//    (a late offer's answer is in it), sent again on the 2xx's retransmissions.
//  - CANCEL (§9): the callee leg's INVITE is cancelled; the caller's INVITE ends 487.
//  - In-dialog requests (b2bua_dialog.cpp) reach osprey at a leg's Contact, are checked (leg
//    id, Call-ID, tags, the peer's address; else 481) and sent on the other leg with its own
//    CSeq; their responses come back the same way. Target refreshes (re-INVITE, UPDATE and
//    their 2xx) update the remote target of the leg they came on. PRACK's RAck is mapped to the
//    other leg's INVITE CSeq (RFC 3262 §7.2: RSeq values pass unchanged). BYE is answered 200
//    at once and sent on the other leg; the call is released.
//  - A call is released on BYE, on the final failure of its INVITE (a non-2xx, a CANCEL, a
//    timeout); a confirmed call lasts until a BYE, a session timer or its trunks' maximum
//    duration (TrunkLimits::max_call_duration) ends it.
//
// Around the legs, each its own component: inbound trunk digest (sbc/trunk_authenticator.hpp),
// per-trunk limits (sbc/trunk_admission.hpp), identity normalisation on the callee leg's INVITE
// (sbc/identity_normalizer.hpp), the trunk's header rules in and out (b2bua_rules.cpp), Refer-To
// and Replaces mapped between legs (sbc/referral_mapping.hpp), RFC 4028 session timers per leg
// (b2bua_timers.cpp), REGISTER toward trunks (sbc/trunk_registrations.hpp, first worker), and a
// MESSAGE toward a trunk as one transaction (b2bua_standalone.cpp). A configuration reload
// (reload()) applies to new calls; each call keeps the TrunkSet it started with.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/flow.hpp"
#include "net/local_identity.hpp"
#include "net/random_tags.hpp"
#include "net/target_resolver.hpp"
#include "net/transport.hpp"
#include "proxy/session_border.hpp"
#include "registrar/binding_hop.hpp"
#include "sbc/call.hpp"
#include "sbc/header_rules.hpp"
#include "sbc/leg_contact.hpp"
#include "sbc/referral_mapping.hpp"
#include "sbc/session_timer.hpp"
#include "sbc/session_timer_negotiation.hpp"
#include "sbc/transfer_index.hpp"
#include "sbc/trunk.hpp"
#include "sbc/trunk_authenticator.hpp"
#include "sbc/trunk_directory.hpp"
#include "sbc/trunk_registrations.hpp"
#include "sbc/trunk_routing.hpp"
#include "sbc/trunk_set.hpp"
#include "sip/builder.hpp"
#include "sip/message.hpp"
#include "store/location_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::sbc {

struct B2buaCounters {
  std::uint64_t calls_started = 0;
  std::uint64_t calls_answered = 0;     // 2xx reached the caller
  std::uint64_t calls_failed = 0;       // released without a 2xx (non-2xx, CANCEL, timeout)
  std::uint64_t failovers = 0;          // a trunk after the one before failed
  std::uint64_t unknown_legs = 0;       // 481 (or dropped ACK) for a leg id, dialog or source not ours
  std::uint64_t refused_by_limits = 0;  // a trunk's calls-per-second or concurrent-call limit
  std::uint64_t session_refreshes = 0;  // RFC 4028 refreshes osprey sent
  std::uint64_t sessions_ended = 0;     // calls ended by a session timer (expiry, failed refresh)
};

// Where our users are, for calls from trunks (RFC 3261 §16.5 through the registrar's bindings).
struct UserLocation {
  const store::LocationStore* location = nullptr;
  std::function<std::int64_t()> clock;  // seconds since the epoch (binding expiry)
  registrar::ConnectionOpen connection_open;
  // True when a Request-URI names one of our users (an account or a binding): such a call
  // stays with the proxy even when a route's prefix matches it. Null: nobody is known, and a
  // call from a trunk to any user of a served domain looks for bindings.
  std::function<bool(const sip::Uri&)> is_local_user;
};

class B2bua final : public proxy::SessionBorder {
 public:
  using Resolve = std::function<void(const sip::Uri&, net::ResolveCallback)>;
  // In-dialog requests of one call waiting for the other leg's answer, at most.
  static constexpr std::size_t kMaxPendingPerCall = 16;
  // Early dialogs (forks behind a trunk, RFC 3261 §12.1) a call passes on to its caller, at most.
  static constexpr std::size_t kMaxEarlyDialogs = 16;
  // RFC 3261 §13.3.1.4: how long the caller's ACK for a 2xx may take (64*T1 with T1 = 500 ms).
  static constexpr std::chrono::seconds kAckWait{32};

  // `identity`, `table` and `transport` outlive the B2BUA. `worker`: this worker's
  // index, written in every leg Contact.
  B2bua(unsigned worker, const SbcSettings& settings, txn::TransactionTable& table, net::Transport& transport,
        const net::LocalIdentity& identity, Resolve resolve, UserLocation users = {});
  B2bua(const B2bua&) = delete;
  B2bua& operator=(const B2bua&) = delete;

  // proxy::SessionBorder: an out-of-dialog INVITE toward a trunk route (from an authenticated
  // user) or from a trunk toward our users.
  bool take(proxy::RequestContext& context) override;

  // A request whose Request-URI names a leg Contact of ours (sip::Message::request_uri user
  // "b2b.w<n>.<id>" at one of our addresses): it is this B2BUA's to answer (481 when no leg).
  bool claims(const sip::Message& request) const;
  void on_leg_request(txn::ServerTransactionId transaction, const sip::Message& request,
                      const net::Flow& flow);
  // The transaction user's upcalls; false: not the B2BUA's (the proxy's or another's).
  bool on_ack(const sip::Message& ack, const net::Flow& flow);
  bool on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel);
  bool on_response(txn::ClientTransactionId transaction, const sip::Message& response);
  bool on_client_failure(txn::ClientTransactionId transaction, int status);
  // The worker's tick: RFC 4028 session timers (refreshes where osprey is the refresher, BYE on
  // both legs when a session expired or its refresh failed), looked at once a second.
  void advance(txn::TimePoint now);

  // The dialogs of every worker's calls and the transfer tokens (sbc/transfer_index.hpp), shared
  // by every worker; without it, this B2BUA keeps its own (its calls only). Set once, before
  // traffic.
  void set_transfer_index(TransferIndex* index) { index_ = index != nullptr ? index : &own_index_; }

  // RFC 3261 §10.2: the REGISTERs toward trunks that want them, run by this B2BUA (ONE worker
  // of the server does it); `contact_for` gives osprey's Contact toward each. Before traffic.
  void start_registrations(const TrunkRegistrations::ContactFor& contact_for, txn::TimePoint now);
  const TrunkRegistrations* registrations() const { return registrations_ ? &*registrations_ : nullptr; }

  std::size_t call_count() const { return live_calls_; }
  const B2buaCounters& counters() const { return counters_; }
  const TrunkDirectory& trunks() const { return trunk_set_->directory; }
  // A new configuration's trunks and routes (SIGHUP) for the calls that start from now on, with
  // the per-trunk limits (sbc/trunk_admission.hpp) and inbound digest accounts
  // (sbc/trunk_authenticator.hpp) built from the same configuration and shared by every
  // worker; calls in progress keep theirs. Also how the first controls are set, before traffic.
  // The worker's thread.
  void reload(const SbcSettings& settings, TrunkControls controls = {}) {
    trunk_set_ = std::make_shared<const TrunkSet>(settings, std::move(controls));
  }

 private:
  struct Pending {
    CallRef call;
    txn::ServerTransactionId server;
    LegSide from = LegSide::caller;  // the leg the request came on
    sip::Method method = sip::Method::unknown;
    std::optional<sip::Message> request;  // the received one: its response is built from it
    // RFC 4028 for a re-INVITE/UPDATE crossing: osprey's answer on the leg it came on, and its
    // negotiation on the leg it goes to.
    std::optional<UasTimerDecision> uas_timer;
    std::optional<UacTimerNegotiation> uac_timer;
    // An out-of-dialog request toward a trunk, with no call (b2bua_standalone.cpp): the To tag
    // of its response, and the trunk (its rules in).
    std::string standalone_tag;
    const Trunk* trunk = nullptr;
    std::shared_ptr<const TrunkSet> trunk_set;  // keeps `trunk` alive across a reload
    // Toward a trunk with credentials: the request as sent (no Via), for one repeat with the
    // answer to its 401/407.
    std::string sent_text;
    bool challenged = false;
    // The CSeq osprey gave the request on the other leg (an INVITE's: its ACK's, §13.2.2.4).
    std::uint32_t cseq = 0;
    txn::Target standalone_target;  // an out-of-dialog request: where a repeat with credentials goes
  };
  // A request osprey sent on its own (the BYE of a leg whose other side hung up): toward a
  // trunk with credentials, what its 401/407 needs for one repeat.
  struct OwnRequest {
    std::string sent_text;
    txn::Target target;
    const Trunk* trunk = nullptr;
    std::shared_ptr<const TrunkSet> trunk_set;
    bool challenged = false;
  };
  // A session refresh osprey sent on its own (RFC 4028 §10).
  struct Refresh {
    CallRef call;
    LegSide side = LegSide::caller;
    bool invite = false;
    std::uint32_t cseq = 0;
  };
  // An INVITE osprey sent in a confirmed dialog (a re-INVITE passed on, a session refresh) that
  // got its 2xx: the ACK carries that INVITE's own CSeq (§13.2.2.4), and is sent again on each
  // retransmission of the 2xx for 64*T1, as `Call::callee_ack` is for the first INVITE.
  struct AnsweredInvite {
    CallRef call;
    LegSide side = LegSide::caller;  // the leg the INVITE went on
    std::uint32_t cseq = 0;          // its CSeq on that leg
    std::uint32_t peer_cseq = 0;     // a re-INVITE passed on: the CSeq of the peer's, whose ACK is awaited
    std::string ack;                 // as sent, without Via; empty while the peer's ACK is awaited
    txn::TimePoint expires{};
  };
  struct LegEntry {
    CallRef call;
    LegSide side = LegSide::caller;
  };

  // b2bua.cpp: calls and their indexes.
  CallRef allocate();
  Call* find(CallRef ref);
  void release(CallRef ref);
  std::string new_leg_id(CallRef ref, LegSide side);
  bool take_outbound(proxy::RequestContext& context, const RouteMatch& route);
  bool take_inbound(proxy::RequestContext& context, const Trunk& trunk);
  // b2bua_standalone.cpp: a MESSAGE toward a trunk route, one transaction and no call.
  bool take_standalone(proxy::RequestContext& context, const RouteMatch& route);
  void on_standalone_response(Pending& pending, const sip::Message& response);
  void start_caller_leg(Call& call, CallRef ref, proxy::RequestContext& context);
  // A call from one of our users: the caller's INVITE as the proxy would forward it, identity
  // wise (its own P-Asserted-Identity not believed, the authenticated one asserted).
  void assert_caller_identity(Call& call, const proxy::Originator& originator);
  // Resolves the callee leg's next hop and sends its INVITE (the next trunk for trunk calls).
  void route_callee(CallRef ref);
  void send_callee_invite(CallRef ref, const txn::Target& target);
  // The callee leg cannot be reached (resolution, send): the next trunk or the caller's final.
  void callee_failed(CallRef ref, int status);
  // The caller's INVITE ends with `status` (no body); the call is released.
  void fail_caller(CallRef ref, int status, std::string_view reason = {}, std::uint32_t retry_after = 0);
  // The trunk's admission for a new call (a ticket in `call`); the refusal's Retry-After
  // seconds when the trunk is at its limits.
  std::optional<std::uint32_t> admit(Call& call, const Trunk& trunk);

  // b2bua_responses.cpp
  void on_invite_response(CallRef ref, const sip::Message& response);
  void forward_to_caller(Call& call, const sip::Message& response, std::string_view caller_tag);
  std::string caller_tag_for(Call& call, std::string_view callee_tag);
  // The trunk's 401/407 to the callee leg's INVITE answered with its TrunkCredentials (a new
  // INVITE, CSeq + 1); false when it cannot be (no credentials, refused before, cancelled).
  bool answer_trunk_challenge(CallRef ref, Call& call, const sip::Message& challenge);
  // An in-dialog request's 401/407 from a trunk (RFC 3261 §22.2): `sent_text` again with the
  // trunk's credentials and CSeq `cseq`; nullopt when it cannot be answered.
  std::optional<sip::Message> with_trunk_credentials(const Trunk* trunk, const std::string& sent_text,
                                                     const sip::Message& challenge, std::uint32_t cseq);
  // The ACK for the 2xx of osprey's last INVITE on `to` (§13.2.2.4), with the body of `source`
  // (the other leg's ACK: a late offer's answer); returns it without Via, for retransmissions.
  std::string send_ack(Leg& to, std::uint32_t cseq, const sip::Message* source, std::string_view local_tag,
                       std::string_view remote_tag);
  // A retransmitted 2xx of an AnsweredInvite: its ACK again (true: the response was one).
  bool on_answered_invite_response(std::uint64_t client_key, const sip::Message& response);
  // True while an offer or INVITE is in flight on the call (RFC 3261 §14.1: one INVITE at a time
  // on a leg, and an offer on one leg crosses to the other), or an INVITE of osprey's on `side`
  // waits for its ACK: a session refresh on `side` waits.
  bool offer_in_flight(const Call& call, CallRef ref, LegSide side) const;

  // b2bua_dialog.cpp
  // 500 with Retry-After (RFC 3261 §14.2): a request of a kind already in flight on the call.
  void answer_retry_later(txn::ServerTransactionId server, const sip::Message& request);
  const LegEntry* match_leg(const sip::Message& request, const net::Flow& flow, bool ack) const;
  bool from_peer(const Leg& leg, const net::Flow& flow) const;
  // `received` as it came (its responses are built from it), `request` after the trunk's rules in.
  void forward_in_dialog(txn::ServerTransactionId server, const sip::Message& received,
                         const sip::Message& request, const net::Flow& flow, CallRef ref, LegSide from,
                         std::optional<UasTimerDecision> uas_timer);
  void on_in_dialog_response(std::uint64_t client_key, const sip::Message& response);
  void answer(txn::ServerTransactionId server, const sip::Message& request, int status,
              std::string_view reason = {});
  void send_bye(Leg& leg, std::string_view local_tag, std::string_view remote_tag, std::string_view reason,
                const std::shared_ptr<const TrunkSet>& set);
  // b2bua_transfer.cpp: sbc/referral_mapping and sbc/transfer_index for REFER (RFC 3515) and
  // Replaces (RFC 3891). Refer-To and Replaces of a request from leg `from` rewritten for the
  // one going to `to`. False (and the status to answer in `refusal`) when they cannot be.
  bool map_referral(const sip::Message& request, sip::MessageBuilder& out, const Leg& to, const Leg& from,
                    int& refusal);
  // The Refer-To for `to` (nullopt: refuse with 403; an error: 400).
  sip::Result<std::optional<std::string>> refer_to_for(std::string_view value, const Leg& to,
                                                       const Leg& from);
  // The leg of any worker's call that `dialog` (as osprey holds it) names, when its peer is
  // `sender` (RFC 3891 §8: only a party to a dialog may name it).
  std::optional<IndexedLeg> other_side_of(const DialogIds& dialog, const LegPeer& sender) const;
  // Who is at the far end of `leg`: the RFC 3891 §8 identity of its peer.
  static LegPeer leg_peer(const Leg& leg);
  // Where a transferee on leg `to` is sent for `requested`: osprey itself, with its user part.
  std::optional<std::string> transfer_target(const Leg& to, const sip::Uri& requested) const;
  // "sip:<user>@<osprey's address on leg `to`>"; nullopt when the leg has no Contact of ours.
  static std::optional<std::string> at_osprey(const Leg& to, std::string_view user);
  // A call's dialogs into the shared index once confirmed, out when released.
  void index_call(const Call& call);
  void unindex_call(const Call& call);
  // An INVITE from `trunk`: the AOR of our user it is for and the Replaces (if any) osprey puts
  // on the INVITE toward that user; false when it was answered (404/403 for a transfer token
  // that is not this trunk's to use, 481 for a Replaces naming no dialog of this trunk's).
  bool inbound_target(proxy::RequestContext& context, const Trunk& trunk, std::string& aor,
                      std::string& replaces);

  // b2bua_timers.cpp: RFC 4028.
  // The caller's INVITE judged as its UAS (§9): false when it is answered here (422, 400).
  bool negotiate_caller_timer(proxy::RequestContext& context, const Trunk* trunk, Call& call);
  void start_leg_timer(Leg& leg, const SessionTimerSettings& settings, std::optional<SessionTerms> terms,
                       bool peer_allows_update);
  // The callee's 422 to the callee leg's INVITE (§7.1): sent again with its Min-SE.
  bool retry_with_min_se(CallRef ref, Call& call, const sip::Message& response);
  void run_timer_action(CallRef ref, LegSide side, const SessionTimerAction& action);
  void send_refresh(CallRef ref, LegSide side, RefreshMethod method);
  bool on_refresh_response(std::uint64_t client_key, const sip::Message& response);
  bool on_refresh_failure(std::uint64_t client_key);
  // BYE on both legs with `reason` (RFC 3326), and the call released.
  void end_call(CallRef ref, std::string_view reason);

  // b2bua_rules.cpp: the trunk's rules in, on a message from `from` (the message itself when
  // there are none, the edited copy in `storage`, nullptr when a rule failed); out, on what
  // goes to `to` (false when a rule failed: nothing is sent).
  const sip::Message* apply_rules_in(const Leg& from, const sip::Message& message,
                                     std::optional<sip::Message>& storage);
  bool apply_rules_out(const Leg& to, sip::Message& message);
  bool apply_rules_out(const Leg& to, std::string& text);

  static std::uint64_t key(txn::ClientTransactionId id) {
    return (std::uint64_t{id.index} << 32) | id.generation;
  }
  static std::uint64_t key(txn::ServerTransactionId id) {
    return (std::uint64_t{id.index} << 32) | id.generation;
  }

  unsigned worker_;
  std::shared_ptr<const TrunkSet> trunk_set_;
  txn::TransactionTable& table_;
  net::Transport& transport_;
  const net::LocalIdentity& identity_;
  Resolve resolve_;
  UserLocation users_;
  net::RandomTags tags_;
  LegIdSource leg_ids_;
  TransferIndex own_index_;
  TransferIndex* index_ = &own_index_;

  std::vector<Call> calls_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_calls_ = 0;
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  // By leg id; looked up by the string_view of a Request-URI, without a copy.
  std::unordered_map<std::string, LegEntry, TextHash, std::equal_to<>> legs_;
  // Requests osprey sent on its own (the BYE of a leg whose other side hung up): their
  // responses need nothing.
  std::unordered_map<std::uint64_t, OwnRequest> own_requests_;
  std::unordered_map<std::uint64_t, Refresh> refreshes_;
  std::unordered_map<std::uint64_t, AnsweredInvite> answered_invites_;  // by client transaction
  std::optional<TrunkRegistrations> registrations_;
  txn::TimePoint now_ = txn::Clock::now();  // the last tick's
  txn::TimePoint next_timer_scan_{};
  std::unordered_map<std::uint64_t, CallRef> invite_servers_;           // the caller's INVITE
  std::unordered_map<std::uint64_t, CallRef> invite_clients_;           // the callee leg's INVITE
  std::unordered_map<std::uint64_t, Pending> pending_;                  // in-dialog client transactions
  std::unordered_map<std::uint64_t, std::uint64_t> pending_by_server_;  // re-INVITE server -> client
  B2buaCounters counters_;
};

}  // namespace osprey::sbc
