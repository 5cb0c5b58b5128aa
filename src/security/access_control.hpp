#pragma once
// Who may do what, decided once per new request before the registrar or the proxy sees it
// (the access stage of the request pipeline, proxy/request_pipeline.cpp). Decide, then authorise:
// the proxy's §16.4 route processing (sip::decide_route) runs first, and what is judged here is
// where the request will go (its effective Request-URI and next hop), never the raw request.
// One canonical form of hosts and of accounts (sip::canonical_host, sip::account_aor: the
// sip: and sips: AORs of a user are two AORs of one account) and one test of "is this us"
// (net::LocalIdentity) are used here, by the registrar and by the proxy.
//
//  - REGISTER for a served domain (registrar::registers_for: any port, any spelling) must
//    authenticate (401, RFC 3261 §10.3 step 3, §22.2), as the owner of the To AOR (403
//    otherwise, §10.3 step 4). A REGISTER for another domain, when osprey forwards those
//    ([registrar] forward_foreign_register), must authenticate as any account of ours (407):
//    its AOR is the other domain's to judge, but nothing is relayed without an account behind
//    it.
//  - A request from one of our users (From in a served domain, any spelling and port), or toward
//    a destination outside the served users (another domain, a Route not ours, a telephone
//    number with no account), must authenticate (407, §22.3), as the owner of the From AOR (403
//    otherwise): nobody calls as someone else, and nothing leaves through osprey without an
//    account behind it (no open relay).
//  - Calls to numbers must pass the dial policy (toll fraud), for every number the request may
//    reach: its effective Request-URI and the Routes it still follows. 403 and a log line.
//
// The only ways past without credentials (each has a test of what it does not allow):
//  1. authentication = false in the configuration;
//  2. a trusted peer (RFC 3325 trust domain, by source address);
//  3. inbound: from another domain to one of our users (accept_inbound), never onward;
//  4. in-dialog: a To tag and a dialog token of ours (security/dialog_token.hpp) for this
//     dialog that names the request's next hop, not expired;
//  5. ACK (no answer possible, §22.1): forwarded only on the terms of 1-4; CANCEL: one that
//     matches an INVITE transaction goes where the INVITE went (§9.2); one that matches nothing
//     is forwarded (§16.10) only on the terms of an ACK, else refused 481;
//  7. along a Path osprey added to a REGISTER it forwarded: a Route of ours whose flow token
//     (security::DialogToken::sign_flow) verifies, with no Route after it, goes over that
//     flow and nowhere else (to the UA that registered through osprey, as its registrar asked);
//     a token that does not verify is 403, whatever else the request carries;
//  6. requests osprey answers about itself (OPTIONS to osprey, §11.2; also through a Route of
//     ours, as phones with an outbound proxy send it): they never reach the access control
//     because nothing of them is forwarded: 200 for OPTIONS, 404 or 501 for the rest
//     (proxy/stage_route.cpp, proxy/stage_local_services.cpp; test_intruder_routing.py sends a
//     number that way).
//
// Unknown users and wrong passwords get the very same fresh challenge, so extensions cannot be
// enumerated; both count toward a ban of the source, a bare challenge never does.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/flow.hpp"
#include "net/local_identity.hpp"
#include "security/ban_table.hpp"
#include "security/dial_policy.hpp"
#include "security/dialog_token.hpp"
#include "security/digest_authenticator.hpp"
#include "security/security_settings.hpp"
#include "sip/local_reply.hpp"
#include "sip/message.hpp"
#include "sip/route_decision.hpp"
#include "store/user_store.hpp"

namespace spdlog {
class logger;
}

namespace osprey::security {

struct AccessDecision {
  // Set: answer with it (a challenge, a refusal) instead of going on to the registrar or proxy.
  std::optional<sip::LocalReply> answer;
  // The AOR the request authenticated as (the identity the proxy asserts, RFC 3325); empty when
  // it did not authenticate.
  std::string identity;
  // The realm of the credentials that authenticated it (RFC 3261 §22.3: consumed here, so the
  // proxy removes them); empty when it did not authenticate.
  std::string verified_realm;
  // The source is a trusted peer: its P-Asserted-Identity stands.
  bool trusted_source = false;
  // The request may be delivered at the gateway's address, whatever name leads there: its target
  // passed the dial policy as a clean number, or it is in a dialog with the gateway (the token
  // names the gateway's exact Contact), or it needs no judging (trusted peer, no authentication).
  // The proxy refuses a branch to the gateway's address without it, so no alias of the gateway
  // (another host name, a registered contact) reaches it unjudged.
  bool may_reach_gateway = false;
  // In-dialog, with no Route left after ours: the other side's flow the dialog token binds
  // (HMAC-verified), where the proxy sends the request rather than to the Request-URI when it
  // can (proxy/dialog_flow_hop.hpp). nullopt: a token without a flow, or none.
  std::optional<DialogFlow> dialog_flow;
  // Along a Path osprey added to a REGISTER it forwarded (RFC 3327, RFC 5626 §5.2), with no
  // Route left after ours: the flow its HMAC-verified flow token names, the only place the
  // request goes (proxy: ProxyCore::path_flow_target).
  std::optional<DialogFlow> path_flow;
  // The request may be sent beyond our users: it authenticated, or needs no judging (trusted
  // peer, no authentication). Targets the proxy learns later (a 3xx's Contacts) are followed
  // only then: an unauthenticated request let in for our users never leaves by redirection.
  bool may_relay = false;
};

struct AccessCounters {
  std::uint64_t challenged = 0;  // 401/407 without a failure
  std::uint64_t failures = 0;    // wrong password or unknown user
  std::uint64_t authenticated = 0;
  std::uint64_t forbidden = 0;     // 403: identity mismatch, relay, dial policy
  std::uint64_t toll_fraud = 0;    // of which the dial policy
  std::uint64_t acks_dropped = 0;  // ACKs that would have been relayed without a dialog token
};

class AccessControl {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch

  // Everything passed outlives this object. `users` and `authenticator` may be null only when
  // authentication is off; `bans` may be null (failures are then only counted).
  AccessControl(const SecuritySettings& settings, const net::LocalIdentity& identity,
                const store::UserStore* users, DigestAuthenticator* authenticator, BanTable* bans,
                const DialPolicy* dial_policy, Clock clock, spdlog::logger& logger,
                const DialogToken* dialog_tokens = nullptr);

  // `route` is the request's §16.4 route processing (sip::decide_route): what is judged is
  // where the request will go, never the raw Request-URI.
  AccessDecision admit(const sip::Message& request, const net::Flow& flow, const sip::RouteDecision& route);
  // An ACK for a 2xx cannot be challenged (§22.1) and gets no answer, so it is forwarded or
  // dropped: forwarded inside a dialog osprey admitted (our Record-Route's token, toward a host
  // of that dialog), toward our own users, from trusted peers, or with authentication off; else
  // it is a relay attempt.
  // Where dropped ACKs are reported (the server logs them once per dialog, rate-bound); none:
  // debug lines only.
  // `why`: a string literal naming the rule; `from`: where the ACK came from.
  using AckDropReport =
      std::function<void(const sip::Message& ack, std::string_view why, const net::Endpoint* from)>;
  void set_ack_drop_report(AckDropReport report) { ack_drop_report_ = std::move(report); }

  // `dialog_flow`, when given, receives the flow its dialog token binds (see
  // AccessDecision::dialog_flow).
  // `may_reach_gateway`, when given, receives whether the ACK let through may be delivered at the
  // gateway's address (see AccessDecision::may_reach_gateway): judged in the same pass, the token
  // is verified once.
  bool ack_allowed(const sip::Message& ack, const net::Flow& flow, const sip::RouteDecision& route,
                   std::optional<DialogFlow>* dialog_flow = nullptr, bool* may_reach_gateway = nullptr);

  const AccessCounters& counters() const { return counters_; }

 private:
  // A CANCEL that matched no transaction (§16.10); see admit_cancel in the .cpp.
  AccessDecision admit_cancel(const sip::Message& cancel, const net::Flow& flow,
                              const sip::RouteDecision& route);
  AccessDecision authenticate(const sip::Message& request, const net::Flow& flow, bool registration,
                              const std::string& realm);
  // The effective target is not one of our users: another domain, a Route toward elsewhere,
  // or a number with no account (which goes to the gateway, or nowhere).
  bool leaves_served_users(const sip::RouteDecision& route) const;
  // Why the request's targets are refused to `user`: a number the dial policy refuses, or
  // anything but a number sent to the gateway's address. nullopt: allowed.
  std::optional<std::string> refused_number(const sip::RouteDecision& route, const std::string& user) const;
  // The gateway's place (dialog_place), empty without a gateway.
  std::string gateway_place() const;
  // `place` (dialog_place) is on the gateway's host, at any port: a gateway admits
  // osprey by address, so each of its ports is the gateway.
  bool at_gateway(std::string_view place) const;
  std::string realm_for(const sip::Uri& uri) const;
  // What admitted an in-dialog request: the flow of its token (when no Route is left, the next
  // hop is the peer, reached over that flow) and whether it was cleared for the gateway (its
  // next hop or that flow is on the gateway's host, and the token named its exact target).
  struct DialogAdmission {
    std::optional<DialogFlow> flow;
    bool gateway_cleared = false;
  };
  // An in-dialog request (To tag) whose consumed Route of ours carries a dialog token for its
  // dialog that names its next hop (always true without tokens); `admission`, when given,
  // receives what admitted it.
  bool dialog_admitted(const sip::Message& request, const sip::RouteDecision& route,
                       DialogAdmission* admission = nullptr) const;
  // For a request let through unjudged (authentication off, a trusted peer): the flow its dialog
  // token binds, if one of ours admits it.
  std::optional<DialogFlow> verified_flow(const sip::Message& request, const sip::RouteDecision& route) const;

  const SecuritySettings& settings_;
  const net::LocalIdentity& identity_;
  const store::UserStore* users_;
  DigestAuthenticator* authenticator_;
  BanTable* bans_;
  const DialPolicy* dial_policy_;
  Clock clock_;
  spdlog::logger& logger_;
  const DialogToken* dialog_tokens_;
  AckDropReport ack_drop_report_;
  AccessCounters counters_;
};

}  // namespace osprey::security
