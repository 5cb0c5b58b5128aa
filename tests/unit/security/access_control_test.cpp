#include "security/access_control.hpp"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "security/digest_hash.hpp"
#include "security/fake_user_store.hpp"
#include "sip/aor.hpp"
#include "sip/auth_headers.hpp"

namespace osprey::security {
namespace {

using security::testing::FakeUserStore;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kRealm = "example.com";
constexpr const char* kAliceAddress = "192.0.2.9";

// The lines of a request, each without CRLF; what a test varies is named.
struct RequestSpec {
  std::string method = "MESSAGE";
  std::string uri = "sip:bob@example.com";
  std::string from = "sip:alice@example.com";
  std::string to = "sip:bob@example.com";
  std::string to_tag;                    // non-empty: a request inside a dialog
  std::vector<std::string> extra_lines;  // Route, Authorization...
};

std::string request_text(const RequestSpec& spec) {
  std::string text = spec.method + " " + spec.uri + " SIP/2.0\r\n";
  text += "Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKac1\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "From: <" + spec.from + ">;tag=f1\r\n";
  text += "To: <" + spec.to + ">" + (spec.to_tag.empty() ? "" : ";tag=" + spec.to_tag) + "\r\n";
  text += "Call-ID: access-control-1\r\n";
  text += "CSeq: 1 " + spec.method + "\r\n";
  text += "Contact: <sip:alice@192.0.2.9:5070>\r\n";
  for (const std::string& line : spec.extra_lines) text += line + "\r\n";
  text += "Content-Length: 0\r\n\r\n";
  return text;
}

sip::Message parse(const std::string& text) {
  auto message = sip::Message::parse(text);
  if (!message) {
    ADD_FAILURE() << message.error().reason << "\n" << text;
    std::abort();  // every test message is meant to parse
  }
  return std::move(*message);
}

std::string hex(sip::DigestAlgorithm algorithm, std::initializer_list<std::string_view> parts) {
  const auto value = security::digest_hex(algorithm, parts);
  EXPECT_TRUE(value) << value.error();
  return value.value_or("");
}

// What a client answers to a challenge (RFC 7616 §3.4.1, SHA-256, qop=auth): the value of an
// Authorization or Proxy-Authorization line for `spec`, signed with `nonce` and count `nc`.
std::string credentials(const RequestSpec& spec, const std::string& user, const std::string& password,
                        const std::string& nonce, const std::string& nc = "00000001") {
  constexpr auto kSha256 = sip::DigestAlgorithm::sha256;
  const std::string cnonce = "0a4f113b";
  const auto ha1 = security::digest_ha1(kSha256, user, kRealm, password);
  EXPECT_TRUE(ha1) << ha1.error();
  const std::string response =
      hex(kSha256, {ha1.value_or(""), nonce, nc, cnonce, "auth", hex(kSha256, {spec.method, spec.uri})});
  return sip::format_credentials("Digest", {{"username", user},
                                            {"realm", kRealm},
                                            {"nonce", nonce},
                                            {"uri", spec.uri},
                                            {"response", response},
                                            {"algorithm", "SHA-256"},
                                            {"qop", "auth"},
                                            {"nc", nc},
                                            {"cnonce", cnonce}});
}

// The status of the answer access control gives instead of passing the request on; 0: none.
int status_of(const AccessDecision& decision) { return decision.answer ? decision.answer->status : 0; }

// The extra headers of that answer (the challenges); none when it passed.
const std::vector<std::pair<std::string, std::string>>& headers_of(const AccessDecision& decision) {
  static const std::vector<std::pair<std::string, std::string>> kNone;
  return decision.answer ? decision.answer->headers : kNone;
}

std::vector<std::string> header_names(const AccessDecision& decision) {
  std::vector<std::string> names;
  for (const auto& [name, value] : headers_of(decision)) names.push_back(name);
  return names;
}

security::BanPolicy ban_policy() {
  security::BanPolicy policy;
  policy.threshold = 3;
  return policy;
}

security::DialPolicyConfig dial_config() {
  security::DialPolicyConfig config;
  config.groups.push_back({"international", {"sip:carol@example.com"}, {"+972"}});
  return config;
}

class AccessControlTest : public ::testing::Test {
 protected:
  AccessControlTest() {
    users_.add_user("alice", kRealm, "wonderland");
    users_.add_user("bob", kRealm, "builder");
    users_.add_user("carol", kRealm, "christmas");
  }

  static security::NonceService::Secret secret() {
    security::NonceService::Secret value;
    value.fill(7);
    return value;
  }

  static net::Flow flow_from(const char* address) {
    return {net::Protocol::udp, {boost::asio::ip::make_address(address), 5070}, {}, 0};
  }

  AccessDecision admit(const RequestSpec& spec, const char* source = kAliceAddress) {
    return judge(access_, parse(request_text(spec)), flow_from(source));
  }

  // What the worker does: §16.4 route processing first, then access control judges its result.
  AccessDecision judge(AccessControl& control, const sip::Message& request, const net::Flow& flow) {
    auto route = sip::decide_route(request, identity_);
    EXPECT_TRUE(route.has_value());
    return control.admit(request, flow, route.value_or(sip::RouteDecision{}));
  }

  bool ack_judged(AccessControl& control, const sip::Message& ack, const net::Flow& flow) {
    auto route = sip::decide_route(ack, identity_);
    EXPECT_TRUE(route.has_value());
    return control.ack_allowed(ack, flow, route.value_or(sip::RouteDecision{}));
  }

  // The token osprey gives the caller of `spec`'s dialog (Call-ID access-control-1, caller tag
  // f1, callee tag and AORs from `spec`) that lets its requests reach `hosts` on port 5060.
  std::string token_for(const RequestSpec& spec, const std::vector<std::string>& hosts,
                        std::string_view call_id = "access-control-1",
                        std::string_view caller_tag = "f1") const {
    std::vector<std::string> places;
    for (const std::string& host : hosts) places.push_back(security::dialog_place(host, 5060));
    const std::string caller = sip::account_aor(*sip::parse_uri(spec.from));
    const std::string callee = sip::account_aor(*sip::parse_uri(spec.to));
    return tokens_.sign({security::DialogDirection::toward_callee,
                         call_id,
                         caller_tag,
                         spec.to_tag,
                         caller,
                         callee,
                         places,
                         {}},
                        now_);
  }

  // The nonce of the first challenge of a 401/407.
  static std::string nonce_of(const AccessDecision& decision) {
    if (headers_of(decision).empty()) {
      ADD_FAILURE() << "no challenge in a " << status_of(decision);
      return {};
    }
    const std::string& value = headers_of(decision).front().second;
    const auto challenge = sip::parse_challenge(value);
    EXPECT_TRUE(challenge) << value;
    if (!challenge || !challenge->nonce()) return {};
    return std::string(*challenge->nonce());
  }

  // `spec` with credentials for `user` in the header a 401 (REGISTER) or 407 asks for.
  static RequestSpec signed_spec(RequestSpec spec, const std::string& user, const std::string& password,
                                 const std::string& nonce, const std::string& nc = "00000001") {
    const std::string header = spec.method == "REGISTER" ? "Authorization" : "Proxy-Authorization";
    spec.extra_lines.push_back(header + ": " + credentials(spec, user, password, nonce, nc));
    return spec;
  }

  // A client's two rounds: the request without credentials (which must be challenged), then
  // again with the answer to that challenge's nonce.
  AccessDecision admit_signed(const RequestSpec& spec, const std::string& user, const std::string& password,
                              const char* source = kAliceAddress) {
    const AccessDecision challenge = admit(spec, source);
    EXPECT_TRUE(status_of(challenge) == 401 || status_of(challenge) == 407) << status_of(challenge);
    return admit(signed_spec(spec, user, password, nonce_of(challenge)), source);
  }

  static RequestSpec register_spec(const std::string& to = "sip:alice@example.com") {
    RequestSpec spec;
    spec.method = "REGISTER";
    spec.uri = "sip:example.com";
    spec.from = to;
    spec.to = to;
    return spec;
  }

  // An access control that checks dialog tokens, with osprey listening on 192.0.2.1:5060 (the
  // Record-Route URI that carries them).
  void use_dialog_tokens() {
    identity_.add_address({boost::asio::ip::make_address("192.0.2.1"), 5060});
    with_dialog_tokens_ = std::make_unique<AccessControl>(
        settings_, identity_, &users_, &authenticator_, &bans_, &dial_policy_, [this] { return now_; },
        logger_, &tokens_);
  }

  SecuritySettings settings_;
  net::LocalIdentity identity_{std::vector<std::string>{"example.com"}};
  const security::DialogToken tokens_{secret(), 3600};
  std::unique_ptr<AccessControl> with_dialog_tokens_;
  FakeUserStore users_;
  security::NonceService nonces_{secret()};
  security::NonceCounts counts_;
  security::DigestAuthenticator authenticator_{users_, nonces_, counts_};
  security::BanTable bans_{ban_policy()};
  security::DialPolicy dial_policy_{dial_config()};
  std::int64_t now_ = kNow;
  spdlog::logger logger_{"access_control_test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  AccessControl access_{
      settings_, identity_, &users_, &authenticator_, &bans_, &dial_policy_, [this] { return now_; },
      logger_};
};

TEST_F(AccessControlTest, AuthenticationOffLetsEverythingThrough) {
  settings_.authentication = false;
  EXPECT_EQ(status_of(admit(register_spec())), 0);
  EXPECT_EQ(status_of(admit(RequestSpec{})), 0);
  RequestSpec relay;
  relay.method = "INVITE";
  relay.from = "sip:mallory@evil.net";
  relay.uri = relay.to = "sip:x@other.net";
  EXPECT_EQ(status_of(admit(relay)), 0);
  EXPECT_EQ(access_.counters().challenged, 0u);
}

TEST_F(AccessControlTest, RegisterWithoutCredentialsIsChallengedSha256First) {
  const AccessDecision decision = admit(register_spec());
  EXPECT_EQ(status_of(decision), 401);  // RFC 3261 §22.2
  ASSERT_EQ(headers_of(decision).size(), 2u);
  EXPECT_EQ(header_names(decision), (std::vector<std::string>{"WWW-Authenticate", "WWW-Authenticate"}));
  // RFC 8760 §2.4: SHA-256 preferred, MD5 after it.
  const auto first = sip::parse_challenge(headers_of(decision)[0].second);
  const auto second = sip::parse_challenge(headers_of(decision)[1].second);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->algorithm(), sip::DigestAlgorithm::sha256);
  EXPECT_EQ(second->algorithm(), sip::DigestAlgorithm::md5);
  EXPECT_EQ(first->realm(), kRealm);
  EXPECT_TRUE(decision.identity.empty());
  EXPECT_EQ(access_.counters().challenged, 1u);
}

TEST_F(AccessControlTest, RegisterWithTheOwnersCredentialsIsAdmitted) {
  const AccessDecision decision = admit_signed(register_spec(), "alice", "wonderland");
  EXPECT_EQ(status_of(decision), 0);
  EXPECT_EQ(decision.identity, "sip:alice@example.com");
  EXPECT_FALSE(decision.trusted_source);
  EXPECT_EQ(access_.counters().authenticated, 1u);
}

TEST_F(AccessControlTest, RegisterForAnotherUsersAorIsForbidden) {
  // RFC 3261 §10.3 step 4: alice may change her own bindings only.
  const AccessDecision decision = admit_signed(register_spec("sip:bob@example.com"), "alice", "wonderland");
  EXPECT_EQ(status_of(decision), 403);
  EXPECT_TRUE(decision.identity.empty());
  EXPECT_EQ(access_.counters().forbidden, 1u);
}

// The sips: AOR is another AOR (RFC 3261 §19.1.4, sip::canonical_aor) of the same account
// (sip::account_aor): alice registers both, and the ownership check still refuses anyone
// else's, in either scheme and any case of the host. The user part is case-sensitive
// (§19.1.4): Alice is not alice.
TEST_F(AccessControlTest, OwnershipHoldsForTheSipsFormOfAnAor) {
  EXPECT_EQ(status_of(admit_signed(register_spec("sips:alice@example.com"), "alice", "wonderland")), 0);
  EXPECT_EQ(status_of(admit_signed(register_spec("sip:alice@example.com"), "alice", "wonderland")), 0);
  EXPECT_EQ(status_of(admit_signed(register_spec("sips:bob@EXAMPLE.com"), "alice", "wonderland")), 403);
  EXPECT_EQ(status_of(admit_signed(register_spec("sip:Alice@example.com"), "alice", "wonderland")), 403);
  EXPECT_EQ(status_of(admit_signed(register_spec("sips:Alice@example.com"), "alice", "wonderland")), 403);
}

// The same account sends from either of its AORs, and from nobody else's in either scheme.
TEST_F(AccessControlTest, SendingFromTheSipsAorOfYourOwnAccountOnly) {
  RequestSpec own;
  own.from = "sips:alice@example.com";
  const AccessDecision decision = admit_signed(own, "alice", "wonderland");
  EXPECT_EQ(status_of(decision), 0);
  EXPECT_EQ(decision.identity, "sip:alice@example.com");
  RequestSpec other;
  other.from = "sips:bob@example.com";
  EXPECT_EQ(status_of(admit_signed(other, "alice", "wonderland")), 403);
}

TEST_F(AccessControlTest, RegisterForADomainNotServedIsLeftToTheRegistrar) {
  RequestSpec spec = register_spec("sip:alice@other.net");
  spec.uri = "sip:other.net";
  // Not forwarded ([registrar] forward_foreign_register off): the pipeline decides no route, the
  // REGISTER is for osprey, and the registrar answers 403 itself.
  const AccessDecision decision = access_.admit(parse(request_text(spec)), flow_from(kAliceAddress), {});
  EXPECT_EQ(status_of(decision), 0);
  EXPECT_TRUE(headers_of(decision).empty());
  EXPECT_EQ(access_.counters().challenged, 0u);
}

// RFC 3261 §10.3 step 1, forwarding on: the REGISTER leaves osprey, so an account of ours must
// be behind it (no open relay), though its AOR is the other domain's.
TEST_F(AccessControlTest, AForwardedRegisterForAnotherDomainNeedsAnAccountOfOurs) {
  RequestSpec spec = register_spec("sip:alice@other.net");
  spec.uri = "sip:other.net";
  const AccessDecision challenge = admit(spec, "198.51.100.7");
  EXPECT_EQ(status_of(challenge), 407);
  RequestSpec proxy_signed = spec;
  proxy_signed.extra_lines.push_back("Proxy-Authorization: " +
                                     credentials(spec, "alice", "wonderland", nonce_of(challenge)));
  const AccessDecision admitted = admit(proxy_signed, "198.51.100.7");
  EXPECT_EQ(status_of(admitted), 0);
  EXPECT_EQ(admitted.identity, "sip:alice@example.com");
}

// RFC 5626 §5.2, RFC 3327: a request coming back along the Path osprey gave a forwarded
// REGISTER goes over the flow its token names, unchallenged; a forged or altered token is 403.
TEST_F(AccessControlTest, APathFlowTokenOfOursAdmitsTowardItsFlowAndAForgeryIs403) {
  use_dialog_tokens();
  const DialogFlow flow{FlowProtocol::udp, boost::asio::ip::make_address("203.0.113.9"), 34567};
  const std::string token = tokens_.sign_flow(flow);
  RequestSpec spec;
  spec.method = "INVITE";
  spec.from = "sip:carol@other.net";
  spec.to = "sip:alice@other.net";
  spec.uri = "sip:alice@10.0.0.5:5060";
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;transport=udp;lr;ob;osp-flow=" + token + ">"};
  const AccessDecision admitted =
      judge(*with_dialog_tokens_, parse(request_text(spec)), flow_from("198.51.100.7"));
  EXPECT_EQ(status_of(admitted), 0);
  ASSERT_TRUE(admitted.path_flow);
  EXPECT_EQ(*admitted.path_flow, flow);
  EXPECT_FALSE(admitted.may_reach_gateway);

  std::string tampered = token;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;transport=udp;lr;ob;osp-flow=" + tampered + ">"};
  const AccessDecision refused =
      judge(*with_dialog_tokens_, parse(request_text(spec)), flow_from("198.51.100.7"));
  EXPECT_EQ(status_of(refused), 403);
  EXPECT_FALSE(refused.path_flow);
  // Without dialog tokens (no secret), no flow token can verify.
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;transport=udp;lr;osp-flow=" + token + ">"};
  EXPECT_EQ(status_of(judge(access_, parse(request_text(spec)), flow_from("198.51.100.7"))), 403);
}

TEST_F(AccessControlTest, APathFlowTokenWithARouteAfterItIsJudgedAsUsual) {
  use_dialog_tokens();
  const DialogFlow flow{FlowProtocol::udp, boost::asio::ip::make_address("203.0.113.9"), 34567};
  RequestSpec spec;
  spec.method = "INVITE";
  spec.from = "sip:carol@other.net";
  spec.to = spec.uri = "sip:x@other.net";
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;lr;osp-flow=" + tokens_.sign_flow(flow) +
                      ">, <sip:203.0.113.5;lr>"};
  const AccessDecision decision =
      judge(*with_dialog_tokens_, parse(request_text(spec)), flow_from("198.51.100.7"));
  EXPECT_EQ(status_of(decision), 407);
  EXPECT_FALSE(decision.path_flow);
}

TEST_F(AccessControlTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  const AccessDecision wrong = admit_signed(register_spec(), "alice", "looking-glass");
  const AccessDecision unknown = admit_signed(register_spec(), "mallory", "anything");
  EXPECT_EQ(status_of(wrong), 401);
  EXPECT_EQ(status_of(unknown), 401);
  EXPECT_EQ(header_names(wrong), (std::vector<std::string>{"WWW-Authenticate", "WWW-Authenticate"}));
  EXPECT_EQ(header_names(wrong), header_names(unknown));
  EXPECT_EQ(wrong.answer->reason, unknown.answer->reason);
  EXPECT_EQ(access_.counters().failures, 2u);
  EXPECT_EQ(access_.counters().authenticated, 0u);
}

TEST_F(AccessControlTest, RepeatedFailuresBanTheSource) {
  const auto source = boost::asio::ip::make_address(kAliceAddress);
  EXPECT_EQ(status_of(admit_signed(register_spec(), "alice", "guess-1")), 401);
  EXPECT_EQ(status_of(admit_signed(register_spec(), "mallory", "guess-2")), 401);
  EXPECT_FALSE(bans_.is_banned(source, now_));  // two failures: under the threshold of 3
  EXPECT_EQ(status_of(admit_signed(register_spec(), "alice", "guess-3")), 401);
  EXPECT_TRUE(bans_.is_banned(source, now_));
  EXPECT_FALSE(bans_.is_banned(boost::asio::ip::make_address("192.0.2.10"), now_));
}

TEST_F(AccessControlTest, PlainChallengesNeverCountTowardABan) {
  // Every client's first request is challenged (RFC 3261 §22.2): that is no offence.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(status_of(admit(register_spec())), 401);
  EXPECT_FALSE(bans_.is_banned(boost::asio::ip::make_address(kAliceAddress), now_));
  EXPECT_EQ(access_.counters().challenged, 20u);
  EXPECT_EQ(access_.counters().failures, 0u);
}

TEST_F(AccessControlTest, MessageFromOurUserIsChallengedByTheProxy) {
  const AccessDecision decision = admit(RequestSpec{});
  EXPECT_EQ(status_of(decision), 407);  // RFC 3261 §22.3
  ASSERT_EQ(headers_of(decision).size(), 2u);
  EXPECT_EQ(header_names(decision), (std::vector<std::string>{"Proxy-Authenticate", "Proxy-Authenticate"}));
}

TEST_F(AccessControlTest, MessageFromOurAuthenticatedUserIsAdmittedWithItsIdentity) {
  const AccessDecision decision = admit_signed(RequestSpec{}, "alice", "wonderland");
  EXPECT_EQ(status_of(decision), 0);
  EXPECT_EQ(decision.identity, "sip:alice@example.com");
}

TEST_F(AccessControlTest, SendingAsAnotherUserIsForbidden) {
  RequestSpec spec;
  spec.from = "sip:bob@example.com";
  spec.to = spec.uri = "sip:carol@example.com";
  const AccessDecision decision = admit_signed(spec, "alice", "wonderland");
  EXPECT_EQ(status_of(decision), 403);
  EXPECT_TRUE(decision.identity.empty());
  EXPECT_EQ(access_.counters().forbidden, 1u);
}

TEST_F(AccessControlTest, InboundFromAnotherDomainToOurUserNeedsNoAccount) {
  RequestSpec spec;
  spec.from = "sip:dave@other.net";
  const AccessDecision decision = admit(spec, "198.51.100.7");
  EXPECT_EQ(status_of(decision), 0);
  EXPECT_TRUE(decision.identity.empty());
}

TEST_F(AccessControlTest, InboundIsForbiddenWhenNotAccepted) {
  settings_.accept_inbound = false;
  RequestSpec spec;
  spec.from = "sip:dave@other.net";
  EXPECT_EQ(status_of(admit(spec, "198.51.100.7")), 403);
}

TEST_F(AccessControlTest, RelayToAnotherDomainIsChallenged) {
  // No open relay: nothing leaves through osprey without an account behind it.
  RequestSpec spec;
  spec.method = "INVITE";
  spec.from = "sip:dave@other.net";
  spec.to = spec.uri = "sip:x@other.net";
  const AccessDecision decision = admit(spec, "198.51.100.7");
  EXPECT_EQ(status_of(decision), 407);
  EXPECT_EQ(header_names(decision), (std::vector<std::string>{"Proxy-Authenticate", "Proxy-Authenticate"}));
}

// Our authenticated users reach other domains (the proxy resolves them); the decision says
// the request may relay, so the targets of a 3xx to it may be followed too. An inbound request
// let in for our users without an account may not.
TEST_F(AccessControlTest, OurAuthenticatedUserMayCallAnotherDomainAndOnlyThatRelays) {
  RequestSpec spec;
  spec.method = "INVITE";
  spec.to = spec.uri = "sip:bob@example.org";
  const AccessDecision signed_in = admit_signed(spec, "alice", "wonderland");
  EXPECT_EQ(status_of(signed_in), 0);
  EXPECT_EQ(signed_in.identity, "sip:alice@example.com");
  EXPECT_TRUE(signed_in.may_relay);
  EXPECT_EQ(status_of(admit(spec)), 407);  // the same without credentials: challenged
  RequestSpec inbound;
  inbound.from = "sip:dave@other.net";
  const AccessDecision let_in = admit(inbound, "198.51.100.7");
  EXPECT_EQ(status_of(let_in), 0);
  EXPECT_FALSE(let_in.may_relay);
}

TEST_F(AccessControlTest, PreloadedRouteToElsewhereIsChallengedEvenTowardOurUser) {
  // RFC 3261 §16.4: the Route, not the Request-URI, decides where the request goes.
  RequestSpec spec;
  spec.method = "INVITE";
  spec.from = "sip:dave@other.net";
  spec.extra_lines = {"Route: <sip:203.0.113.5;lr>"};
  EXPECT_EQ(status_of(admit(spec, "198.51.100.7")), 407);
  // The same request without the Route reaches bob as inbound.
  spec.extra_lines.clear();
  EXPECT_EQ(status_of(admit(spec, "198.51.100.7")), 0);
}

TEST_F(AccessControlTest, AckAndCancelAreNeverChallenged) {
  // RFC 3261 §22.1.
  for (const char* method : {"ACK", "CANCEL"}) {
    SCOPED_TRACE(method);
    RequestSpec spec;
    spec.method = method;
    EXPECT_EQ(status_of(admit(spec)), 0);  // toward one of our users
  }
  EXPECT_EQ(access_.counters().challenged, 0u);
}

TEST_F(AccessControlTest, ACancelMatchingNothingIsRefusedTowardAnywhereButOurUsers) {
  // A CANCEL only reaches admit() when it matched no transaction, and the proxy would forward
  // it (§16.10). It cannot be challenged, so toward another domain it would be an open relay:
  // 481, as osprey knows no such transaction.
  RequestSpec spec;
  spec.method = "CANCEL";
  spec.to = spec.uri = "sip:x@other.net";
  EXPECT_EQ(status_of(admit(spec)), 481);
  spec.to = spec.uri = "sip:bob@example.com";
  spec.extra_lines = {"Route: <sip:203.0.113.5;lr>"};  // our user's name, routed elsewhere
  EXPECT_EQ(status_of(admit(spec)), 481);
  EXPECT_EQ(access_.counters().challenged, 0u);
}

TEST_F(AccessControlTest, RequestsInsideADialogAreNotChallenged) {
  RequestSpec spec;
  spec.method = "BYE";
  spec.to_tag = "b1";
  EXPECT_EQ(status_of(admit(spec)), 0);
  spec.to_tag.clear();  // the same request outside a dialog is
  EXPECT_EQ(status_of(admit(spec)), 407);
}

TEST_F(AccessControlTest, TrustedPeerIsNotChallenged) {
  auto peers = security::AddressSet::parse(std::vector<std::string>{"203.0.113.0/24"});
  ASSERT_TRUE(peers) << peers.error();
  settings_.trusted_peers = *peers;
  RequestSpec spec;
  spec.method = "INVITE";
  spec.from = "sip:dave@other.net";
  spec.to = spec.uri = "sip:x@other.net";
  const AccessDecision decision = admit(spec, "203.0.113.20");
  EXPECT_EQ(status_of(decision), 0);
  EXPECT_TRUE(decision.trusted_source);
  // The same request from outside the trust domain is a relay attempt.
  const AccessDecision outside = admit(spec, "198.51.100.7");
  EXPECT_EQ(status_of(outside), 407);
  EXPECT_FALSE(outside.trusted_source);
}

TEST_F(AccessControlTest, ATrustedPeerIsTrustedWithAuthenticationOffToo) {
  // Nothing is challenged, but only the trust domain's P-Asserted-Identity stands (RFC 3325).
  auto peers = security::AddressSet::parse(std::vector<std::string>{"203.0.113.0/24"});
  ASSERT_TRUE(peers) << peers.error();
  settings_.trusted_peers = *peers;
  settings_.authentication = false;
  RequestSpec spec;
  spec.method = "INVITE";
  spec.from = "sip:dave@other.net";
  spec.to = spec.uri = "sip:x@other.net";
  EXPECT_TRUE(admit(spec, "203.0.113.20").trusted_source);
  const AccessDecision outside = admit(spec, "198.51.100.7");
  EXPECT_EQ(status_of(outside), 0);
  EXPECT_FALSE(outside.trusted_source);
}

TEST_F(AccessControlTest, ReplayedRegisterCredentialsAreChallengedAgain) {
  // RFC 7616 §5.4: the same nonce and nc a second time is a captured request sent again.
  const std::string nonce = nonce_of(admit(register_spec()));
  const RequestSpec replayed = signed_spec(register_spec(), "alice", "wonderland", nonce);
  ASSERT_EQ(status_of(admit(replayed)), 0);
  const AccessDecision again = admit(replayed);
  EXPECT_EQ(status_of(again), 401);
  EXPECT_TRUE(again.identity.empty());
  ASSERT_FALSE(headers_of(again).empty());
  EXPECT_NE(headers_of(again).front().second.find("stale=true"), std::string::npos)
      << headers_of(again).front().second;
}

TEST_F(AccessControlTest, ReplayedProxyCredentialsAreChallengedAgain) {
  const std::string nonce = nonce_of(admit(RequestSpec{}));
  const RequestSpec replayed = signed_spec(RequestSpec{}, "alice", "wonderland", nonce);
  ASSERT_EQ(status_of(admit(replayed)), 0);
  EXPECT_EQ(status_of(admit(replayed)), 407);
  // The honest client's next request counts on and goes through.
  EXPECT_EQ(status_of(admit(signed_spec(RequestSpec{}, "alice", "wonderland", nonce, "00000002"))), 0);
}

class AccessControlNumberTest : public AccessControlTest {
 protected:
  static RequestSpec call_israel(const std::string& from) {
    RequestSpec spec;
    spec.method = "INVITE";
    spec.from = from;
    spec.to = spec.uri = "sip:011972599950423@example.com";  // no account: the telephone network
    return spec;
  }
};

TEST_F(AccessControlNumberTest, UnauthenticatedCallToANumberIsChallenged) {
  EXPECT_EQ(status_of(admit(call_israel("sip:alice@example.com"))), 407);
  EXPECT_EQ(status_of(admit(call_israel("sip:dave@other.net"), "198.51.100.7")), 407);
}

TEST_F(AccessControlNumberTest, InternationalCallOutsideTheDialPolicyIsForbidden) {
  const AccessDecision decision = admit_signed(call_israel("sip:alice@example.com"), "alice", "wonderland");
  EXPECT_EQ(status_of(decision), 403);
  EXPECT_EQ(access_.counters().toll_fraud, 1u);
}

TEST_F(AccessControlNumberTest, InternationalCallAllowedToTheGroupGoesThrough) {
  const AccessDecision decision = admit_signed(call_israel("sip:carol@example.com"), "carol", "christmas");
  EXPECT_EQ(status_of(decision), 0);
  EXPECT_EQ(decision.identity, "sip:carol@example.com");
  EXPECT_EQ(access_.counters().toll_fraud, 0u);
}

}  // namespace
}  // namespace osprey::security

namespace osprey::security {
namespace {

// A To tag and a Route are only text; an in-dialog request passes unchallenged only with the
// dialog token osprey's Record-Route carried for its dialog, toward a host that dialog reaches.
TEST_F(AccessControlTest, InDialogRequestNeedsOurDialogToken) {
  use_dialog_tokens();
  AccessControl& guarded = *with_dialog_tokens_;
  RequestSpec spec;
  spec.method = "INVITE";
  spec.from = "sip:dave@other.net";
  spec.uri = "sip:011972599950423@gateway.other.net";
  spec.to = spec.uri;
  spec.to_tag = "forged";
  const auto admit_guarded = [&](const RequestSpec& request) {
    return judge(guarded, parse(request_text(request)), flow_from("198.51.100.7"));
  };
  const auto route_with = [](const std::string& token) {
    return "Route: <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>";
  };
  // A forged To tag (and a Route naming us without a token) is judged as a new request: 407.
  EXPECT_EQ(status_of(admit_guarded(spec)), 407);
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;lr>"};
  EXPECT_EQ(status_of(admit_guarded(spec)), 407);
  spec.extra_lines = {route_with(token_for(spec, {"gateway.other.net"}, "another-call"))};
  EXPECT_EQ(status_of(admit_guarded(spec)), 407);
  // Another dialog of the same call (another caller tag) does not share it either.
  spec.extra_lines = {route_with(token_for(spec, {"gateway.other.net"}, "access-control-1", "f2"))};
  EXPECT_EQ(status_of(admit_guarded(spec)), 407);
  // The dialog's token, but its requests never went to this host: a skeleton key no more.
  spec.extra_lines = {route_with(token_for(spec, {"198.51.100.7", "phone.example.com"}))};
  EXPECT_EQ(status_of(admit_guarded(spec)), 407);
  // The token of this dialog toward this host: the dialog went through osprey.
  spec.extra_lines = {route_with(token_for(spec, {"198.51.100.7", "GATEWAY.other.net."}))};
  EXPECT_EQ(status_of(admit_guarded(spec)), 0);
  // Nobody speaks as another AOR inside it.
  RequestSpec as_eve = spec;
  as_eve.from = "sip:eve@other.net";
  EXPECT_EQ(status_of(admit_guarded(as_eve)), 407);
  // A Request-URI osprey retargets (a number in a served domain) is no place of any dialog.
  RequestSpec to_number = spec;
  to_number.uri = "sip:+4490012345@example.com";
  EXPECT_EQ(status_of(admit_guarded(to_number)), 407);
}

// A token that names the peer's flow hands it to the proxy (AccessDecision::dialog_flow) only
// when it admits the request, and only when no Route is left after ours: nobody forges a flow,
// nor borrows another dialog's.
TEST_F(AccessControlTest, OnlyTheTokenThatAdmitsTheRequestNamesItsFlow) {
  use_dialog_tokens();
  AccessControl& guarded = *with_dialog_tokens_;
  RequestSpec spec;
  spec.method = "BYE";
  spec.from = "sip:dave@other.net";
  spec.uri = spec.to = "sip:dave@phone.other.net:36003;transport=tcp";
  spec.to_tag = "t1";
  const std::string caller_aor = sip::account_aor(*sip::parse_uri(spec.from));
  const std::string callee_aor = sip::account_aor(*sip::parse_uri(spec.to));
  const security::DialogFlow callee_flow{security::FlowProtocol::tcp,
                                         boost::asio::ip::make_address("203.0.113.8"), 41198};
  const auto signed_by = [&](const security::DialogToken& tokens, std::string_view call_id) {
    const std::vector<std::string> places{security::dialog_place("phone.other.net", 36003)};
    security::DialogBinding binding{
        security::DialogDirection::toward_callee, call_id, "f1", "t1", caller_aor, callee_aor, places, {}};
    binding.flow = callee_flow;
    return tokens.sign(binding, now_);
  };
  const auto judged = [&](const std::string& route) {
    RequestSpec request = spec;
    request.extra_lines = {route};
    return judge(guarded, parse(request_text(request)), flow_from("198.51.100.7"));
  };
  const std::string token = signed_by(tokens_, "access-control-1");
  const AccessDecision admitted = judged("Route: <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>");
  EXPECT_EQ(status_of(admitted), 0);
  ASSERT_TRUE(admitted.dialog_flow.has_value());
  EXPECT_EQ(*admitted.dialog_flow, callee_flow);
  // Another secret's token (an attacker's own osprey) or another dialog's: judged as new, no flow.
  security::DialogToken::Secret other{};
  other.fill(0x55);
  const security::DialogToken foreign(other, 3600);
  for (const std::string& wrong :
       {signed_by(foreign, "access-control-1"), signed_by(tokens_, "another-call")}) {
    const AccessDecision refused = judged("Route: <sip:192.0.2.1:5060;osp-dt=" + wrong + ";lr>");
    EXPECT_EQ(status_of(refused), 407);
    EXPECT_FALSE(refused.dialog_flow.has_value());
  }
  // A Route left after ours leads elsewhere first: the flow does not stand for it.
  const std::string token_to_proxy = [&] {
    const std::vector<std::string> places{security::dialog_place("proxy.other.net", 5060)};
    security::DialogBinding binding{security::DialogDirection::toward_callee,
                                    "access-control-1",
                                    "f1",
                                    "t1",
                                    caller_aor,
                                    callee_aor,
                                    places,
                                    {}};
    binding.flow = callee_flow;
    return tokens_.sign(binding, now_);
  }();
  const AccessDecision routed =
      judged("Route: <sip:192.0.2.1:5060;osp-dt=" + token_to_proxy + ";lr>, <sip:proxy.other.net;lr>");
  EXPECT_EQ(status_of(routed), 0);
  EXPECT_FALSE(routed.dialog_flow.has_value());
  // The ACK of the dialog gets the flow too.
  RequestSpec ack = spec;
  ack.method = "ACK";
  ack.extra_lines = {"Route: <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>"};
  const sip::Message ack_message = parse(request_text(ack));
  auto route = sip::decide_route(ack_message, identity_);
  ASSERT_TRUE(route);
  std::optional<security::DialogFlow> ack_flow;
  EXPECT_TRUE(guarded.ack_allowed(ack_message, flow_from("198.51.100.7"), *route, &ack_flow));
  ASSERT_TRUE(ack_flow.has_value());
  EXPECT_EQ(*ack_flow, callee_flow);
}

TEST_F(AccessControlTest, ADialogTokenExpiresUnlessItsDialogIsUsed) {
  use_dialog_tokens();
  AccessControl& guarded = *with_dialog_tokens_;
  RequestSpec spec;
  spec.method = "BYE";
  spec.from = "sip:dave@other.net";
  spec.uri = spec.to = "sip:dave@phone.other.net";
  spec.to_tag = "t1";
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;osp-dt=" + token_for(spec, {"phone.other.net"}) + ";lr>"};
  const auto status = [&] {
    return status_of(judge(guarded, parse(request_text(spec)), flow_from("198.51.100.7")));
  };
  now_ += 3000;
  EXPECT_EQ(status(), 0);  // used 3000 s after it was issued: its hour starts again
  now_ += 3000;
  EXPECT_EQ(status(), 0);  // 6000 s after issue, 3000 after its last use
  now_ += 3600;
  EXPECT_EQ(status(), 407);  // an hour without use: judged as a new request
}

// Route processing comes first: a strict router's form or a loose Route followed by a number
// reaches the number, and that is what is judged. The Request-URI carries osprey's Record-Route
// mark (osp-dt), forged: the mark makes the §16.4 rewrite happen, and gains nothing else.
TEST_F(AccessControlTest, JudgesTheTargetAfterRouteProcessingNotTheRawRequestUri) {
  identity_.add_address({boost::asio::ip::make_address("192.0.2.1"), 5060});
  RequestSpec strict;
  strict.method = "INVITE";
  strict.from = "sip:mallory@evil.net";
  strict.uri = "sip:192.0.2.1:5060;osp-dt=forged";
  strict.to = "sip:+4490012345@example.com";
  strict.extra_lines = {"Route: <sip:+4490012345@example.com>"};
  EXPECT_EQ(status_of(admit(strict, "198.51.100.7")), 407);
  RequestSpec loose = strict;
  loose.extra_lines = {"Route: <sip:192.0.2.1:5060;lr>, <sip:+4490012345@example.com>"};
  EXPECT_EQ(status_of(admit(loose, "198.51.100.7")), 407);
  // alice may call national numbers, not international ones: the number behind the Route is
  // refused like one in the Request-URI.
  strict.from = "sip:alice@example.com";
  EXPECT_EQ(status_of(admit_signed(strict, "alice", "wonderland")), 403);
  loose.from = "sip:alice@example.com";
  EXPECT_EQ(status_of(admit_signed(loose, "alice", "wonderland")), 403);
  RequestSpec via_gateway = strict;
  via_gateway.uri = "sip:+4490012345@example.com";
  via_gateway.extra_lines = {"Route: <sip:+4490012345@gateway.other.net;lr>"};
  EXPECT_EQ(status_of(admit_signed(via_gateway, "alice", "wonderland")), 403);
  EXPECT_EQ(access_.counters().toll_fraud, 3u);
}

// A gateway strips what it does not dial: only clean numbers may be sent to its address, and
// they pass the dial policy like any other.
TEST_F(AccessControlTest, OnlyNumbersTheDialPolicyJudgedGoToTheGateway) {
  settings_.gateway = "sip:192.0.2.50:5060";
  RequestSpec spec;
  spec.method = "INVITE";
  spec.from = "sip:alice@example.com";
  for (const char* uri : {"sip:+4490012345%23@192.0.2.50", "sip:+4490012345;ext=1@192.0.2.50:5060",
                          "sip:0201234567p1@192.0.2.50", "sip:x@192.0.2.50"}) {
    spec.uri = spec.to = uri;
    EXPECT_EQ(status_of(admit_signed(spec, "alice", "wonderland")), 403) << uri;
  }
  spec.uri = spec.to = "sip:x@evil.net";
  spec.extra_lines = {"Route: <sip:192.0.2.50:5060;lr>"};
  EXPECT_EQ(status_of(admit_signed(spec, "alice", "wonderland")), 403);
  spec.extra_lines.clear();
  spec.uri = spec.to = "sip:0201234567@192.0.2.50";  // a national number: alice may call it
  AccessDecision national = admit_signed(spec, "alice", "wonderland");
  EXPECT_EQ(status_of(national), 0);
  EXPECT_TRUE(national.may_reach_gateway);
  // Anything else elsewhere: an authenticated call out, which the proxy will not deliver at
  // the gateway's address should that host lead there.
  spec.uri = spec.to = "sip:bob@other.net";
  AccessDecision elsewhere = admit_signed(spec, "alice", "wonderland");
  EXPECT_EQ(status_of(elsewhere), 0);
  EXPECT_FALSE(elsewhere.may_reach_gateway);
}

// In a dialog with the gateway, the token admits only the gateway's own Contact: a re-INVITE
// for another number in that dialog is judged as a new request.
TEST_F(AccessControlTest, InADialogWithTheGatewayOnlyItsContactIsAdmitted) {
  use_dialog_tokens();
  settings_.gateway = "sip:192.0.2.50:5060";
  AccessControl& guarded = *with_dialog_tokens_;
  RequestSpec spec;
  spec.method = "INVITE";
  spec.from = "sip:alice@example.com";
  spec.to = "sip:0201234567@example.com";
  spec.to_tag = "gw1";
  spec.uri = "sip:0201234567@192.0.2.50:5060";  // the gateway's Contact in its 200
  std::vector<std::string> places{security::dialog_place("192.0.2.50", 5060),
                                  security::dialog_target(spec.uri)};
  const std::string token = tokens_.sign({security::DialogDirection::toward_callee,
                                          "access-control-1",
                                          "f1",
                                          "gw1",
                                          "sip:alice@example.com",
                                          "sip:0201234567@example.com",
                                          places,
                                          {}},
                                         now_);
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>"};
  const auto admit_guarded = [&](const RequestSpec& request) {
    return judge(guarded, parse(request_text(request)), flow_from(kAliceAddress));
  };
  AccessDecision same = admit_guarded(spec);
  EXPECT_EQ(status_of(same), 0);
  EXPECT_TRUE(same.may_reach_gateway);
  RequestSpec other_number = spec;
  other_number.uri = "sip:+4490012345@192.0.2.50:5060";
  EXPECT_EQ(status_of(admit_guarded(other_number)), 407);
}

// The gateway is its host at any port, and the flow a request would take counts as its target:
// a gateway that called from another port (or whose TCP connection has an ephemeral one) is
// still the gateway, and one behind NAT, reached over its flow, is cleared for its own Contact.
TEST_F(AccessControlTest, TheGatewayIsItsHostAtAnyPortAndOverItsFlow) {
  use_dialog_tokens();
  settings_.gateway = "sip:192.0.2.50:5060";
  AccessControl& guarded = *with_dialog_tokens_;
  RequestSpec spec;
  spec.method = "BYE";
  spec.from = "sip:alice@example.com";
  spec.to = "sip:0201234567@example.com";
  spec.to_tag = "gw1";
  spec.uri = "sip:0201234567@10.0.0.9:5060";  // the gateway's Contact: a private address
  const std::vector<std::string> places{
      security::dialog_place("192.0.2.50", 5060), security::dialog_place("192.0.2.50", 34537),
      security::dialog_place("10.0.0.9", 5060), security::dialog_target(spec.uri)};
  security::DialogBinding binding{security::DialogDirection::toward_callee,
                                  "access-control-1",
                                  "f1",
                                  "gw1",
                                  "sip:alice@example.com",
                                  "sip:0201234567@example.com",
                                  places,
                                  {}};
  binding.flow =
      security::DialogFlow{security::FlowProtocol::udp, boost::asio::ip::make_address("192.0.2.50"), 5060};
  const std::string token = tokens_.sign(binding, now_);
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>"};
  const auto admit_guarded = [&](const RequestSpec& request) {
    return judge(guarded, parse(request_text(request)), flow_from(kAliceAddress));
  };
  // The BYE for the gateway's own Contact, over the gateway's flow: cleared for the gateway.
  const AccessDecision bye = admit_guarded(spec);
  EXPECT_EQ(status_of(bye), 0);
  EXPECT_TRUE(bye.may_reach_gateway);
  ASSERT_TRUE(bye.dialog_flow.has_value());
  // Another number at that Contact's place would go over the gateway's flow: judged as new.
  RequestSpec over_flow = spec;
  over_flow.method = "INVITE";
  over_flow.uri = "sip:+4490012345@10.0.0.9:5060";
  EXPECT_EQ(status_of(admit_guarded(over_flow)), 407);
  // Another port of the gateway's host, bound as a place of the dialog: still the gateway.
  RequestSpec other_port = over_flow;
  other_port.uri = "sip:+4490012345@192.0.2.50:34537;transport=tcp";
  EXPECT_EQ(status_of(admit_guarded(other_port)), 407);
}

TEST_F(AccessControlTest, EverySpellingOfAServedDomainIsOurs) {
  // REGISTER for a served domain is the registrar's whatever its port: authenticated.
  for (const char* uri :
       {"sip:example.com:9999", "sips:example.com:9", "sip:EXAMPLE.com.", "sip:example.com:1"}) {
    RequestSpec spec = register_spec();
    spec.uri = uri;
    EXPECT_EQ(status_of(admit(spec, "198.51.100.7")), 401) << uri;
  }
  // A From in a served domain, in any spelling and with any port, is one of our users.
  for (const char* from :
       {"sip:alice@example.com:5060", "sip:alice@EXAMPLE.COM.", "sips:alice@example.com"}) {
    RequestSpec spec;
    spec.from = from;
    EXPECT_EQ(status_of(admit(spec, "198.51.100.7")), 407) << from;
  }
}

// An ACK cannot be challenged and gets no answer: a relay attempt is dropped, not refused.
TEST_F(AccessControlTest, AnAckIsForwardedOnlyInsideOurDialogsOrTowardOurUsers) {
  use_dialog_tokens();
  AccessControl& guarded = *with_dialog_tokens_;
  const auto allowed = [&](const RequestSpec& spec, const char* source = "198.51.100.7") {
    return ack_judged(guarded, parse(request_text(spec)), flow_from(source));
  };
  RequestSpec spec;
  spec.method = "ACK";
  spec.from = "sip:dave@other.net";
  spec.to = spec.uri = "sip:+15551234@gateway.other.net";
  spec.to_tag = "t1";
  const std::string token = token_for(spec, {"gateway.other.net"});
  EXPECT_FALSE(allowed(spec));  // toward another host, no dialog of ours: a relay
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;lr>"};
  EXPECT_FALSE(allowed(spec));  // naming us is not enough
  spec.extra_lines = {
      "Route: <sip:192.0.2.1:5060;osp-dt=" + token_for(spec, {"gateway.other.net"}, "another-call") + ";lr>"};
  EXPECT_FALSE(allowed(spec));
  EXPECT_EQ(guarded.counters().acks_dropped, 3u);
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>"};
  EXPECT_TRUE(allowed(spec));  // the ACK of a dialog osprey admitted
  // A UA whose outbound proxy is osprey puts it before the dialog's route set.
  spec.extra_lines = {"Route: <sip:192.0.2.1:5060;lr>, <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>"};
  EXPECT_TRUE(allowed(spec));
  // But a token behind someone else's Route does not count: that hop is not osprey.
  spec.extra_lines = {"Route: <sip:198.51.100.1;lr>, <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>"};
  EXPECT_FALSE(allowed(spec));
  // Nor does the dialog's token send its ACK to any other address.
  RequestSpec elsewhere = spec;
  elsewhere.uri = "sip:victim@203.0.113.50";
  elsewhere.extra_lines = {"Route: <sip:192.0.2.1:5060;osp-dt=" + token + ";lr>"};
  EXPECT_FALSE(allowed(elsewhere));

  RequestSpec to_bob;
  to_bob.method = "ACK";
  to_bob.from = "sip:dave@other.net";
  to_bob.to_tag = "t1";
  EXPECT_TRUE(allowed(to_bob));  // toward our own user: not a relay

  auto peers = security::AddressSet::parse(std::vector<std::string>{"203.0.113.0/24"});
  ASSERT_TRUE(peers) << peers.error();
  settings_.trusted_peers = *peers;
  spec.extra_lines.clear();
  EXPECT_TRUE(allowed(spec, "203.0.113.20"));  // a trusted peer
  settings_.authentication = false;
  EXPECT_TRUE(allowed(spec));
  EXPECT_EQ(guarded.counters().acks_dropped, 5u);
}

}  // namespace
}  // namespace osprey::security
