// The B2BUA's leg mapping (sbc/b2bua.hpp) on a real transaction table with a recording
// transport: what the callee leg carries of the caller's side (nothing but the allow-list and
// the body), each leg's CSeq space, ACK, CANCEL, BYE both ways, re-INVITE and UPDATE with the
// remote target refreshed, PRACK's RAck, 481 on forged leg ids, failover, and the call state
// released after every way a call ends.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/local_identity.hpp"
#include "proxy/request_stage.hpp"
#include "recording_transport.hpp"
#include "sbc/b2bua.hpp"
#include "sbc/leg_contact.hpp"
#include "security/nonce_counts.hpp"
#include "security/nonce_service.hpp"
#include "sip/builder.hpp"
#include "sip/message.hpp"
#include "sip/referral_headers.hpp"
#include "sip/route_decision.hpp"
#include "sip/uri.hpp"
#include "sip/uri_header_fields.hpp"
#include "store/location_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::sbc {
namespace {

using osprey::testing::endpoint;
using osprey::testing::RecordingTransport;

const net::Endpoint kAlice = endpoint("192.0.2.9", 5070);
const net::Endpoint kCarrier = endpoint("192.0.2.50", 5060);
const net::Endpoint kBackup = endpoint("192.0.2.51", 5060);
const net::Endpoint kBob = endpoint("198.51.100.7", 5062);
const net::Endpoint kStranger = endpoint("203.0.113.66", 5060);

// The location service for calls from the trunk: bob has one binding.
class OneBindingStore final : public store::LocationStore {
 public:
  std::vector<store::Binding> lookup(std::string_view aor, std::int64_t) const override {
    if (aor != "sip:bob@example.com") return {};
    store::Binding binding;
    binding.aor = "sip:bob@example.com";
    binding.contact = "sip:bob@198.51.100.7:5062";
    binding.source = store::BindingSource{net::Protocol::udp, kBob, 0};
    return {binding};
  }
  void update(std::string_view, std::int64_t, const Decide&, std::function<void(bool)> durable) override {
    durable(true);
  }
  std::size_t expire(std::int64_t) override { return 0; }
  std::size_t aor_count() const override { return 1; }
  std::size_t binding_count() const override { return 1; }
};

// What the worker's LocalResponder does for the B2BUA, without the pipeline's other stages.
class B2buaUser : public txn::TransactionUser {
 public:
  B2bua* b2bua = nullptr;
  const net::LocalIdentity* identity = nullptr;
  txn::TransactionTable* table = nullptr;
  bool may_relay = true;
  std::string asserted_identity =
      "sip:alice@example.com";  // what access control found (the authenticated AOR)
  bool trusted = false;         // a trusted peer (RFC 3325 trust domain)
  void on_request(txn::ServerTransactionId t, const sip::Message& request, const net::Flow& flow) override {
    if (b2bua->claims(request)) {
      b2bua->on_leg_request(t, request, flow);
      return;
    }
    proxy::RequestContext context(t, request, flow);
    context.route = sip::decide_route(request, *identity);
    context.originator.may_relay = may_relay;
    context.originator.asserted_identity = asserted_identity;
    context.originator.trusted = trusted;
    if (b2bua->take(context)) {
      if (context.reply)
        table->respond(t, sip::serialize_reply(request, *context.reply, "local"), context.reply->status,
                       "local");
      return;
    }
    ++refused;
    table->respond(t, sip::serialize_reply(request, {404, {}, {}}, "x"), 404, "x");
  }
  void on_ack(const sip::Message& ack, const net::Flow& flow) override { b2bua->on_ack(ack, flow); }
  void on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel) override {
    b2bua->on_cancel(invite, cancel);
  }
  void on_response(txn::ClientTransactionId t, const sip::Message& response) override {
    b2bua->on_response(t, response);
  }
  void on_client_failure(txn::ClientTransactionId t, int status) override {
    b2bua->on_client_failure(t, status);
  }
  void on_stray_response(const sip::Message&, const net::Flow&) override {}
  int refused = 0;
};

// A trunk's rules: adds a header, or fails (an action that would make the message invalid).
class AddHeaderRules final : public HeaderRules {
 public:
  AddHeaderRules(std::string name, std::string value, bool fail = false)
      : name_(std::move(name)), value_(std::move(value)), fail_(fail) {}
  tl::expected<void, std::string> apply(sip::Message& message) const override {
    if (fail_) return tl::unexpected(std::string("rule failed"));
    message.add_header(name_, value_);
    return {};
  }

 private:
  std::string name_;
  std::string value_;
  bool fail_;
};

// A trunk's rules that rewrite one header of every message (rules in: what a request's
// response must not be built from).
class ReplaceHeaderRules final : public HeaderRules {
 public:
  ReplaceHeaderRules(sip::HeaderId id, std::string value) : id_(id), value_(std::move(value)) {}
  tl::expected<void, std::string> apply(sip::Message& message) const override {
    message.replace_header(id_, value_);
    return {};
  }

 private:
  sip::HeaderId id_;
  std::string value_;
};

// A trunk's rules that fail on requests of one method only.
class FailOnMethodRules final : public HeaderRules {
 public:
  explicit FailOnMethodRules(sip::Method method) : method_(method) {}
  tl::expected<void, std::string> apply(sip::Message& message) const override {
    if (message.is_request() && message.method() == method_)
      return tl::unexpected(std::string("rule failed"));
    return {};
  }

 private:
  sip::Method method_;
};

SbcSettings settings() {
  SbcSettings sbc;
  Trunk carrier;
  carrier.name = "carrier";
  carrier.peer = "sip:192.0.2.50:5060";
  const std::vector<std::string> sources{"192.0.2.50/32"};
  carrier.sources = *security::AddressSet::parse(sources);
  Trunk backup;
  backup.name = "backup";
  backup.peer = "sip:backup.test";
  sbc.trunks = {carrier, backup};
  sbc.routes = {
      TrunkRoute{.prefix = "+", .domain = {}, .strip = 1, .prepend = "00", .trunks = {"carrier", "backup"}}};
  return sbc;
}

class B2buaTest : public ::testing::Test {
 protected:
  B2buaTest()
      : identity_({"example.com"}),
        table_(transport_, user_, {}, start_),
        b2bua_(
            0, settings(), table_, transport_, identity_,
            [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); },
            UserLocation{.location = &store_,
                         .clock = [] { return std::int64_t{1'800'000'000}; },
                         .connection_open = {},
                         .is_local_user = {}}) {
    identity_.add_listener(net::Protocol::udp, RecordingTransport::local());
    table_.set_options(
        {.reject_merged_requests = false, .forward_unmatched_cancels = true, .branch_prefix = "w0."});
    user_.b2bua = &b2bua_;
    user_.identity = &identity_;
    user_.table = &table_;
  }

  void resolve(const sip::Uri& uri, net::ResolveCallback done) {
    net::ResolvedTarget target;
    if (uri.host == "192.0.2.50") target.hops.push_back({net::Protocol::udp, kCarrier});
    if (uri.host == "backup.test") target.hops.push_back({net::Protocol::udp, kBackup});
    if (uri.host == "198.51.100.7") target.hops.push_back({net::Protocol::udp, kBob});
    if (target.hops.empty()) {
      done(tl::unexpected(std::string("no such name")));
      return;
    }
    done(std::move(target));
  }

  void feed(const std::string& text, const net::Endpoint& from) {
    auto message = sip::Message::parse(text);
    ASSERT_TRUE(message) << text;
    const net::Flow flow{net::Protocol::udp, from, RecordingTransport::local(), 0};
    if (message->is_request()) txn::stamp_received(*message, flow);
    table_.receive(std::move(*message), flow);
  }

  static std::string alice_invite(const std::string& uri = "sip:+442071234567@example.com") {
    return "INVITE " + uri +
           " SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKalice1;rport\r\n"
           "Max-Forwards: 70\r\n"
           "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
           "To: <" +
           uri +
           ">\r\n"
           "Call-ID: caller-call-1@192.0.2.9\r\n"
           "CSeq: 10 INVITE\r\n"
           "Contact: <sip:alice@192.0.2.9:5070>\r\n"
           "User-Agent: AliceSoft 1.0\r\n"
           "X-Internal-Account: 12345\r\n"
           "Subject: quarterly numbers\r\n"
           "Supported: 100rel, timer\r\n"
           "Allow: INVITE, ACK, BYE, CANCEL, UPDATE, PRACK\r\n"
           "Content-Type: application/sdp\r\n"
           "Content-Length: 35\r\n\r\n"
           "v=0\r\no=- 1 1 IN IP4 media.invalid\r\n";
  }

  // Sent messages from `from` on, parsed, that satisfy `match`.
  template <typename Match>
  std::vector<sip::Message> sent_where(Match&& match, std::size_t from = 0) {
    std::vector<sip::Message> found;
    for (std::size_t i = from; i < transport_.sent.size(); ++i) {
      auto message = transport_.parsed(i);
      if (message && match(*message, transport_.sent[i].to)) found.push_back(std::move(*message));
    }
    return found;
  }
  std::vector<sip::Message> requests_to(const net::Endpoint& to, sip::Method method, std::size_t from = 0) {
    return sent_where(
        [&](const sip::Message& m, const net::Endpoint& at) {
          return at == to && m.is_request() && m.method() == method;
        },
        from);
  }
  std::vector<sip::Message> responses_to(const net::Endpoint& to, int status, std::size_t from = 0) {
    return sent_where(
        [&](const sip::Message& m, const net::Endpoint& at) {
          return at == to && m.is_response() && m.status() == status;
        },
        from);
  }
  std::string raw_of(const net::Endpoint& to, sip::Method method) {
    for (const auto& sent : transport_.sent) {
      auto message = sip::Message::parse(sent.bytes);
      if (sent.to == to && message && message->is_request() && message->method() == method) return sent.bytes;
    }
    return {};
  }

  // The callee's answer to `request` with `status`, its own Contact and tag.
  static std::string answer(const sip::Message& request, int status, const std::string& extra = {},
                            const std::string& tag = "callee-tag",
                            const std::string& contact = "sip:gw@192.0.2.50:5060") {
    auto builder = sip::MessageBuilder::response_to(request, status, {}, status == 100 ? "" : tag);
    if (status > 100 && status < 300) builder.header("Contact", "<" + contact + ">");
    builder.header("Server", "CarrierSwitch 9");
    builder.header("Record-Route", "<sip:core7.carrier.internal;lr>");
    std::string text = std::move(builder).serialize();
    if (!extra.empty()) text.insert(text.find("\r\n\r\n") + 2, extra);
    return text;
  }

  // A request on a dialog, written by hand (the peer's side of it).
  static std::string in_dialog(const std::string& method, const std::string& uri, const std::string& from,
                               const std::string& to, const std::string& call_id, int cseq,
                               const std::string& branch, const std::string& via_host,
                               const std::string& extra = {}) {
    return method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + via_host + ";branch=" + branch +
           "\r\nMax-Forwards: 70\r\nFrom: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + call_id +
           "\r\nCSeq: " + std::to_string(cseq) + " " + method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
  }

  // The Contact of `m` names a B2BUA leg of ours.
  static bool names_a_leg(const sip::Message& m) {
    const std::string uri = uri_of_contact(m);
    const auto parsed = sip::parse_uri(uri);
    return parsed && parse_leg_user(parsed->user).has_value();
  }
  static std::string uri_of_contact(const sip::Message& m) {
    std::string contact(*m.first_value(sip::HeaderId::contact));
    return contact.substr(1, contact.find('>') - 1);
  }

  // Alice calls +44..., the carrier answers; returns the carrier's INVITE and alice's 200.
  struct Answered {
    sip::Message callee_invite;
    sip::Message caller_ok;
  };
  Answered answered_call() {
    feed(alice_invite(), kAlice);
    auto invites = requests_to(kCarrier, sip::Method::invite);
    EXPECT_EQ(invites.size(), 1u);
    feed(answer(invites[0], 200), kCarrier);
    auto oks = responses_to(kAlice, 200);
    EXPECT_EQ(oks.size(), 1u);
    return {std::move(invites[0]), std::move(oks[0])};
  }
  void alice_acks(const sip::Message& ok) {
    feed(in_dialog("ACK", uri_of_contact(ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                   std::string(ok.to()->text), "caller-call-1@192.0.2.9", 10, "z9hG4bKaliceack",
                   "192.0.2.9:5070"),
         kAlice);
  }

  RecordingTransport transport_;
  B2buaUser user_;
  net::LocalIdentity identity_;
  txn::TimePoint start_ = txn::Clock::now();
  txn::TransactionTable table_;
  OneBindingStore store_;
  B2bua b2bua_;
};

TEST_F(B2buaTest, CalleeLegCarriesNothingOfTheCallerSide) {
  feed(alice_invite(), kAlice);
  auto invites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(invites.size(), 1u);
  const sip::Message& invite = invites[0];
  const std::string raw = raw_of(kCarrier, sip::Method::invite);
  // The route's strip and prepend, toward the trunk's peer.
  EXPECT_EQ(invite.request_uri().text, "sip:00442071234567@192.0.2.50:5060");
  // Topology hiding: no Call-ID, tag, Via, Contact, address, User-Agent or private header of
  // the caller's side.
  EXPECT_EQ(raw.find("caller-call-1"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("192.0.2.9"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("tag=a1"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("AliceSoft"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("X-Internal-Account"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("example.com"), std::string::npos) << raw;
  EXPECT_EQ(invite.count(sip::HeaderId::via), 1u);
  EXPECT_EQ(invite.count(sip::HeaderId::record_route), 0u);
  EXPECT_EQ(invite.count(sip::HeaderId::user_agent), 0u);
  // A CSeq space of its own, osprey's Contact naming the leg, the allow-listed headers and body.
  EXPECT_EQ(invite.cseq()->number, 1u);
  EXPECT_TRUE(names_a_leg(invite)) << raw;
  EXPECT_EQ(invite.first_value(sip::HeaderId::subject), "quarterly numbers");
  // RFC 4028 per leg: the caller's "timer" is not passed on; the leg says its own.
  EXPECT_EQ(invite.first_value(sip::HeaderId::supported), "100rel");
  EXPECT_NE(raw.find("Supported: timer\r\n"), std::string::npos) << raw;
  EXPECT_EQ(invite.first_value(sip::HeaderId::session_expires), "1800");
  EXPECT_EQ(invite.first_value(sip::HeaderId::min_se), "90");
  EXPECT_EQ(invite.body(), "v=0\r\no=- 1 1 IN IP4 media.invalid\r\n");
  EXPECT_EQ(invite.first_value(sip::HeaderId::content_type), "application/sdp");
  EXPECT_EQ(b2bua_.call_count(), 1u);
}

TEST_F(B2buaTest, TheTrunkSeesTheAuthenticatedIdentityNeverAForgedOne) {
  user_.asserted_identity = "sip:alice@example.com";
  std::string text = alice_invite();
  text.insert(text.find("Subject:"), "P-Asserted-Identity: <sip:ceo@example.com>\r\n");
  feed(text, kAlice);
  auto invites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(invites.size(), 1u);
  const std::string raw = raw_of(kCarrier, sip::Method::invite);
  const auto asserted = invites[0].first_value(sip::HeaderId::p_asserted_identity);
  ASSERT_TRUE(asserted) << raw;
  EXPECT_NE(asserted->find("alice"), std::string_view::npos) << raw;
  EXPECT_EQ(raw.find("ceo"), std::string::npos) << raw;
  // Identity normalisation: our domain is an inside host, written as osprey's address.
  EXPECT_EQ(raw.find("example.com"), std::string::npos) << raw;
}

TEST_F(B2buaTest, ATrustedPeersAssertedIdentityReachesATrustedTrunk) {
  SbcSettings sbc = settings();
  sbc.trunks[0].identity.trusted = true;
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &b2bua;
  user_.trusted = true;
  user_.asserted_identity.clear();  // a trusted peer is not challenged
  std::string text = alice_invite();
  text.insert(text.find("Subject:"), "P-Asserted-Identity: \"Alice\" <sip:+442071234567@192.0.2.9>\r\n");
  feed(text, kAlice);
  auto invites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(invites.size(), 1u);
  const auto asserted = invites[0].first_value(sip::HeaderId::p_asserted_identity);
  ASSERT_TRUE(asserted) << raw_of(kCarrier, sip::Method::invite);
  EXPECT_NE(asserted->find("+442071234567"), std::string_view::npos) << raw_of(kCarrier, sip::Method::invite);
}

TEST_F(B2buaTest, CallerSeesNothingOfTheCalleeSide) {
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(invite, 180), kCarrier);
  feed(answer(invite, 200), kCarrier);
  auto ringing = responses_to(kAlice, 180);
  auto ok = responses_to(kAlice, 200);
  ASSERT_EQ(ringing.size(), 1u);
  ASSERT_EQ(ok.size(), 1u);
  for (const sip::Message* response : {&ringing[0], &ok[0]}) {
    const std::string raw = response->serialize();
    EXPECT_EQ(raw.find("192.0.2.50"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("carrier.internal"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("CarrierSwitch"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("callee-tag"), std::string::npos) << raw;
    EXPECT_EQ(response->call_id(), "caller-call-1@192.0.2.9");
    EXPECT_FALSE(response->to()->tag().empty());
    EXPECT_TRUE(names_a_leg(*response));
  }
  // The early dialog and the confirmed one are the same dialog for alice (one fork).
  EXPECT_EQ(ringing[0].to()->tag(), ok[0].to()->tag());
}

TEST_F(B2buaTest, AckForTheTwoHundredIsEachLegsOwn) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  auto acks = requests_to(kCarrier, sip::Method::ack);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].request_uri().text, "sip:gw@192.0.2.50:5060");  // the callee's Contact
  EXPECT_EQ(acks[0].cseq()->number, 1u);
  EXPECT_EQ(acks[0].call_id(), call.callee_invite.call_id());
  EXPECT_EQ(acks[0].to()->tag(), "callee-tag");
  // §12.1.2: the route set is the callee's Record-Route, reversed.
  EXPECT_EQ(acks[0].first_value(sip::HeaderId::route), "<sip:core7.carrier.internal;lr>");
  // The callee retransmits its 200 (our ACK was lost): osprey ACKs again, alice sees nothing.
  const std::size_t before = transport_.sent.size();
  feed(answer(call.callee_invite, 200), kCarrier);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::ack, before).size(), 1u);
  EXPECT_EQ(responses_to(kAlice, 200, before).size(), 0u);
}

TEST_F(B2buaTest, ASecondForksTwoHundredIsAckedAndEnded) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::size_t before = transport_.sent.size();
  feed(answer(call.callee_invite, 200, {}, "fork-2", "sip:fork2@192.0.2.50:5070"), kCarrier);
  auto acks = requests_to(kCarrier, sip::Method::ack, before);
  auto byes = requests_to(kCarrier, sip::Method::bye, before);
  ASSERT_EQ(acks.size(), 1u);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(acks[0].to()->tag(), "fork-2");
  EXPECT_EQ(byes[0].to()->tag(), "fork-2");
  EXPECT_EQ(byes[0].request_uri().text, "sip:fork2@192.0.2.50:5070");
  EXPECT_EQ(responses_to(kAlice, 200, before).size(), 0u);
  EXPECT_EQ(b2bua_.call_count(), 1u);  // the answered dialog goes on
}

TEST_F(B2buaTest, ByeFromTheCallerEndsBothLegs) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  feed(in_dialog("BYE", uri_of_contact(call.caller_ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                 std::string(call.caller_ok.to()->text), "caller-call-1@192.0.2.9", 11, "z9hG4bKbye1",
                 "192.0.2.9:5070"),
       kAlice);
  EXPECT_EQ(responses_to(kAlice, 200).size(), 2u);  // the INVITE's and the BYE's
  auto byes = requests_to(kCarrier, sip::Method::bye);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].cseq()->number, 2u);  // the callee leg's own CSeq space
  EXPECT_EQ(byes[0].call_id(), call.callee_invite.call_id());
  EXPECT_EQ(byes[0].from()->tag(), call.callee_invite.from()->tag());
  EXPECT_EQ(byes[0].to()->tag(), "callee-tag");
  EXPECT_EQ(b2bua_.call_count(), 0u);
  feed(answer(byes[0], 200), kCarrier);  // needs nothing
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, ByeFromTheCalleeReachesTheCallerInItsDialog) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string leg = uri_of_contact(call.callee_invite);
  feed(in_dialog("BYE", leg, "<sip:00442071234567@192.0.2.50>;tag=callee-tag",
                 std::string(call.callee_invite.from()->text), std::string(*call.callee_invite.call_id()), 1,
                 "z9hG4bKcbye", "192.0.2.50:5060"),
       kCarrier);
  EXPECT_EQ(responses_to(kCarrier, 200).size(), 1u);
  auto byes = requests_to(kAlice, sip::Method::bye);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].request_uri().text, "sip:alice@192.0.2.9:5070");
  EXPECT_EQ(byes[0].call_id(), "caller-call-1@192.0.2.9");
  EXPECT_EQ(byes[0].from()->tag(), call.caller_ok.to()->tag());
  EXPECT_EQ(byes[0].to()->tag(), "a1");
  EXPECT_EQ(byes[0].cseq()->number, 1u);  // osprey's first request on the caller leg
  EXPECT_EQ(byes[0].serialize().find("192.0.2.50"), std::string::npos);
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, ReInviteFromTheCalleeRefreshesItsTargetAndMapsCSeqAndAck) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string leg = uri_of_contact(call.callee_invite);
  const std::string callee_from = "<sip:00442071234567@192.0.2.50>;tag=callee-tag";
  const std::string callee_to(call.callee_invite.from()->text);
  const std::string callee_call(*call.callee_invite.call_id());
  feed(in_dialog("INVITE", leg, callee_from, callee_to, callee_call, 5, "z9hG4bKre1", "192.0.2.50:5060",
                 "Contact: <sip:gw2@192.0.2.50:5080>\r\n"),
       kCarrier);
  auto reinvites = requests_to(kAlice, sip::Method::invite);
  ASSERT_EQ(reinvites.size(), 1u);
  EXPECT_EQ(reinvites[0].cseq()->number, 1u);
  EXPECT_EQ(reinvites[0].request_uri().text, "sip:alice@192.0.2.9:5070");
  EXPECT_EQ(reinvites[0].serialize().find("gw2"), std::string::npos);
  // Alice accepts with a new Contact of her own.
  feed(answer(reinvites[0], 200, {}, "a1", "sip:alice@192.0.2.9:5099"), kAlice);
  auto oks = responses_to(kCarrier, 200);
  ASSERT_EQ(oks.size(), 1u);
  EXPECT_EQ(oks[0].cseq()->number, 5u);
  EXPECT_TRUE(names_a_leg(oks[0]));
  // The callee's ACK becomes osprey's ACK of its re-INVITE on the caller leg.
  feed(in_dialog("ACK", leg, callee_from, callee_to, callee_call, 5, "z9hG4bKreack", "192.0.2.50:5060"),
       kCarrier);
  auto acks = requests_to(kAlice, sip::Method::ack);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].cseq()->number, 1u);
  EXPECT_EQ(acks[0].request_uri().text, "sip:alice@192.0.2.9:5099");  // her 2xx refreshed the target
  // The callee's refreshed target is where the caller's BYE now goes.
  feed(in_dialog("BYE", uri_of_contact(call.caller_ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                 std::string(call.caller_ok.to()->text), "caller-call-1@192.0.2.9", 11, "z9hG4bKbye2",
                 "192.0.2.9:5070"),
       kAlice);
  auto byes = requests_to(kCarrier, sip::Method::bye);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].request_uri().text, "sip:gw2@192.0.2.50:5080");
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, UpdateFromTheCallerRefreshesItsTarget) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string leg = uri_of_contact(call.caller_ok);
  const std::string from = "\"Alice\" <sip:alice@example.com>;tag=a1";
  const std::string to(call.caller_ok.to()->text);
  feed(in_dialog("UPDATE", leg, from, to, "caller-call-1@192.0.2.9", 11, "z9hG4bKupd", "192.0.2.9:5070",
                 "Contact: <sip:alice@192.0.2.9:6000>\r\n"),
       kAlice);
  auto updates = requests_to(kCarrier, sip::Method::update);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].cseq()->number, 2u);
  EXPECT_EQ(updates[0].request_uri().text, "sip:gw@192.0.2.50:5060");
  EXPECT_EQ(updates[0].serialize().find("192.0.2.9"), std::string::npos);
  feed(answer(updates[0], 200, {}, "callee-tag", "sip:gw3@192.0.2.50:5090"), kCarrier);
  auto oks = responses_to(kAlice, 200);
  ASSERT_EQ(oks.size(), 2u);
  EXPECT_EQ(oks[1].cseq()->method, sip::Method::update);
  // The callee hangs up: osprey's BYE goes to alice's refreshed target.
  feed(in_dialog("BYE", uri_of_contact(call.callee_invite), "<sip:x@192.0.2.50>;tag=callee-tag",
                 std::string(call.callee_invite.from()->text), std::string(*call.callee_invite.call_id()), 9,
                 "z9hG4bKcb2", "192.0.2.50:5060"),
       kCarrier);
  auto byes = requests_to(kAlice, sip::Method::bye);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].request_uri().text, "sip:alice@192.0.2.9:6000");
  // And the callee's 2xx to the UPDATE refreshed its own target.
  feed(in_dialog("INFO", leg, from, to, "caller-call-1@192.0.2.9", 12, "z9hG4bKinfo", "192.0.2.9:5070"),
       kAlice);
  EXPECT_EQ(responses_to(kAlice, 481).size(), 1u);  // the call ended with the BYE
}

TEST_F(B2buaTest, BlindTransferSendsTheTransfereeToOsprey) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string leg = uri_of_contact(call.callee_invite);
  const std::string from = "<sip:x@192.0.2.50>;tag=callee-tag";
  const std::string to(call.callee_invite.from()->text);
  const std::string call_id(*call.callee_invite.call_id());
  // The carrier transfers alice to a number behind it: alice is told to call osprey, never the
  // carrier's own address.
  feed(in_dialog("REFER", leg, from, to, call_id, 3, "z9hG4bKref1", "192.0.2.50:5060",
                 "Refer-To: <sip:+15559990000@switch.carrier.internal;user=phone?X-Secret=1>\r\n"
                 "Contact: <sip:gw@192.0.2.50:5060>\r\n"),
       kCarrier);
  auto refers = requests_to(kAlice, sip::Method::refer);
  ASSERT_EQ(refers.size(), 1u);
  EXPECT_EQ(refers[0].first_value(sip::HeaderId::refer_to), "<sip:+15559990000@127.0.0.1:5060>");
  EXPECT_EQ(refers[0].serialize().find("carrier.internal"), std::string::npos);
  feed(answer(refers[0], 202, {}, "a1", "sip:alice@192.0.2.9:5070"), kAlice);
  EXPECT_EQ(responses_to(kCarrier, 202).size(), 1u);
  // An attended transfer naming a dialog osprey does not hold is refused, not passed on.
  feed(in_dialog("REFER", leg, from, to, call_id, 4, "z9hG4bKref2", "192.0.2.50:5060",
                 "Refer-To: <sip:bob@192.0.2.50?Replaces=other-call%3Bto-tag%3Dx%3Bfrom-tag%3Dy>\r\n"),
       kCarrier);
  EXPECT_EQ(responses_to(kCarrier, 403).size(), 1u);
  EXPECT_EQ(requests_to(kAlice, sip::Method::refer).size(), 1u);
}

TEST_F(B2buaTest, ABlindTransferTargetIsOnlyAUserAtOsprey) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string leg = uri_of_contact(call.callee_invite);
  const std::string from = "<sip:x@192.0.2.50>;tag=callee-tag";
  const std::string to(call.callee_invite.from()->text);
  const std::string call_id(*call.callee_invite.call_id());
  // RFC 3261 lets a user part hold ';', '?' and '/': a phone that splits the user before the '@'
  // would follow a maddr or a Route hidden there around osprey. Refused, not passed on.
  int cseq = 3;
  for (const char* target : {"sip:+1900;maddr=6.6.6.6@192.0.2.50", "sip:x?Route=%3Csip%3Ae%3E@192.0.2.50",
                             "sip:+1900/x@192.0.2.50", "sip:;phone-context=+1@192.0.2.50"}) {
    feed(in_dialog("REFER", leg, from, to, call_id, cseq, "z9hG4bKbad" + std::to_string(cseq),
                   "192.0.2.50:5060", std::string("Refer-To: <") + target + ">\r\n"),
         kCarrier);
    ++cseq;
  }
  EXPECT_EQ(responses_to(kCarrier, 403).size(), 4u);
  EXPECT_TRUE(requests_to(kAlice, sip::Method::refer).empty());
  // A telephone-subscriber's own parameters (RFC 3966 §3) stay.
  feed(in_dialog("REFER", leg, from, to, call_id, cseq, "z9hG4bKgood", "192.0.2.50:5060",
                 "Refer-To: <sip:5559990000;phone-context=+1;ext=12@192.0.2.50;user=phone>\r\n"),
       kCarrier);
  auto refers = requests_to(kAlice, sip::Method::refer);
  ASSERT_EQ(refers.size(), 1u);
  EXPECT_EQ(refers[0].first_value(sip::HeaderId::refer_to),
            "<sip:5559990000;phone-context=+1;ext=12@127.0.0.1:5060>");
}

TEST_F(B2buaTest, AttendedTransferMapsReplacesOntoTheOtherLeg) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  // Alice REFERs the carrier's side with a Replaces naming her own dialog with osprey (from
  // osprey's point of view: to-tag is osprey's tag); the carrier receives it in its terms.
  const std::string leg = uri_of_contact(call.caller_ok);
  const std::string osprey_tag(call.caller_ok.to()->tag());
  feed(in_dialog("REFER", leg, "\"Alice\" <sip:alice@example.com>;tag=a1",
                 std::string(call.caller_ok.to()->text), "caller-call-1@192.0.2.9", 11, "z9hG4bKref3",
                 "192.0.2.9:5070",
                 "Refer-To: <sip:carol@example.com?Replaces=caller-call-1%40192.0.2.9%3Bto-tag%3D" +
                     osprey_tag + "%3Bfrom-tag%3Da1>\r\nContact: <sip:alice@192.0.2.9:5070>\r\n"),
       kAlice);
  auto refers = requests_to(kCarrier, sip::Method::refer);
  ASSERT_EQ(refers.size(), 1u);
  const std::string refer_to(*refers[0].first_value(sip::HeaderId::refer_to));
  EXPECT_NE(refer_to.find(std::string(*call.callee_invite.call_id())), std::string::npos) << refer_to;
  EXPECT_NE(refer_to.find("to-tag%3Dcallee-tag"), std::string::npos) << refer_to;
  EXPECT_EQ(refer_to.find("caller-call-1"), std::string::npos) << refer_to;
  EXPECT_EQ(refer_to.find("192.0.2.9"), std::string::npos) << refer_to;
}

TEST_F(B2buaTest, PrackCarriesTheCalleeLegsInviteCSeq) {
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(invite, 183, "Require: 100rel\r\nRSeq: 7\r\n"), kCarrier);
  auto progress = responses_to(kAlice, 183);
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].first_value(sip::HeaderId::rseq), "7");
  EXPECT_EQ(progress[0].first_value(sip::HeaderId::require), "100rel");
  feed(in_dialog("PRACK", uri_of_contact(progress[0]), "\"Alice\" <sip:alice@example.com>;tag=a1",
                 std::string(progress[0].to()->text), "caller-call-1@192.0.2.9", 11, "z9hG4bKprack",
                 "192.0.2.9:5070", "RAck: 7 10 INVITE\r\n"),
       kAlice);
  auto pracks = requests_to(kCarrier, sip::Method::prack);
  ASSERT_EQ(pracks.size(), 1u);
  EXPECT_EQ(pracks[0].first_value(sip::HeaderId::rack), "7 1 INVITE");
  EXPECT_EQ(pracks[0].cseq()->number, 2u);
  EXPECT_EQ(pracks[0].to()->tag(), "callee-tag");
  feed(answer(pracks[0], 200), kCarrier);
  EXPECT_EQ(responses_to(kAlice, 200).size(), 1u);  // the PRACK's
}

TEST_F(B2buaTest, ForgedLegIdsTagsAndSourcesGet481) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string leg = uri_of_contact(call.caller_ok);
  const std::string from = "\"Alice\" <sip:alice@example.com>;tag=a1";
  const std::string to(call.caller_ok.to()->text);
  // Another leg id of the right shape.
  std::string forged = leg;
  const std::size_t at = forged.find('@');
  forged[at - 1] = forged[at - 1] == '0' ? '1' : '0';
  feed(in_dialog("BYE", forged, from, to, "caller-call-1@192.0.2.9", 11, "z9hG4bKf1", "192.0.2.9:5070"),
       kAlice);
  // The right leg id with another dialog's tags, or Call-ID.
  feed(in_dialog("BYE", leg, "<sip:alice@example.com>;tag=zz", to, "caller-call-1@192.0.2.9", 12, "z9hG4bKf2",
                 "192.0.2.9:5070"),
       kAlice);
  feed(in_dialog("BYE", leg, from, to, "other-call", 13, "z9hG4bKf3", "192.0.2.9:5070"), kAlice);
  // Everything right, from another address (a stolen capability).
  feed(in_dialog("BYE", leg, from, to, "caller-call-1@192.0.2.9", 14, "z9hG4bKf4", "203.0.113.66:5060"),
       kStranger);
  // The caller leg's capability used on the callee's side: the callee leg's dialog is another.
  feed(
      in_dialog("BYE", leg, "<sip:x@192.0.2.50>;tag=callee-tag", std::string(call.callee_invite.from()->text),
                std::string(*call.callee_invite.call_id()), 15, "z9hG4bKf5", "192.0.2.50:5060"),
      kCarrier);
  EXPECT_EQ(responses_to(kAlice, 481).size() + responses_to(kStranger, 481).size() +
                responses_to(kCarrier, 481).size(),
            5u);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::bye).size(), 0u);
  EXPECT_EQ(b2bua_.call_count(), 1u);
  EXPECT_EQ(b2bua_.counters().unknown_legs, 5u);
  // A forged ACK goes nowhere either.
  feed(in_dialog("ACK", forged, from, to, "caller-call-1@192.0.2.9", 10, "z9hG4bKf7", "192.0.2.9:5070"),
       kAlice);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::ack).size(), 1u);
}

TEST_F(B2buaTest, CancelEndsTheCalleeLegAndTheCall) {
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(invite, 180), kCarrier);
  feed(
      "CANCEL sip:+442071234567@example.com SIP/2.0\r\nVia: SIP/2.0/UDP "
      "192.0.2.9:5070;branch=z9hG4bKalice1;rport\r\n"
      "Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@example.com>;tag=a1\r\nTo: "
      "<sip:+442071234567@example.com>\r\n"
      "Call-ID: caller-call-1@192.0.2.9\r\nCSeq: 10 CANCEL\r\nContent-Length: 0\r\n\r\n",
      kAlice);
  auto cancels = requests_to(kCarrier, sip::Method::cancel);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].call_id(), invite.call_id());
  feed(answer(cancels[0], 200), kCarrier);
  feed(answer(invite, 487), kCarrier);
  EXPECT_EQ(responses_to(kAlice, 487).size(), 1u);
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, FailureReachesTheCallerAndReleasesTheCall) {
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(invite, 486), kCarrier);
  EXPECT_EQ(responses_to(kAlice, 486).size(), 1u);
  EXPECT_EQ(requests_to(kBackup, sip::Method::invite).size(), 0u);  // 486 is no failover
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, FailoverToTheNextTrunkOn503) {
  feed(alice_invite(), kAlice);
  auto first = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(first, 503), kCarrier);
  auto second = requests_to(kBackup, sip::Method::invite);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].call_id(), first.call_id());  // a new leg, a new dialog
  EXPECT_EQ(second[0].request_uri().text, "sip:00442071234567@backup.test");
  feed(answer(second[0], 200, {}, "backup-tag", "sip:b@192.0.2.51"), kBackup);
  EXPECT_EQ(responses_to(kAlice, 200).size(), 1u);
  EXPECT_EQ(b2bua_.counters().failovers, 1u);
  EXPECT_EQ(b2bua_.call_count(), 1u);
}

TEST_F(B2buaTest, NoFailoverOnceTheCallerHeardRinging) {
  feed(alice_invite(), kAlice);
  auto first = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(first, 180), kCarrier);
  feed(answer(first, 503), kCarrier);
  EXPECT_EQ(requests_to(kBackup, sip::Method::invite).size(), 0u);
  EXPECT_EQ(responses_to(kAlice, 500).size(), 1u);
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, TimeoutsFailOverThenEndTheCall) {
  feed(alice_invite(), kAlice);
  table_.advance(start_ + std::chrono::seconds(40));  // Timer B on the carrier's INVITE
  ASSERT_FALSE(requests_to(kBackup, sip::Method::invite).empty());
  EXPECT_EQ(responses_to(kAlice, 408).size(), 0u);
  table_.advance(start_ + std::chrono::seconds(80));
  EXPECT_FALSE(responses_to(kAlice, 408).empty());  // and its retransmissions (Timer G)
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, TrunkChallengeIsAnsweredWithTheTrunksCredentials) {
  SbcSettings sbc = settings();
  sbc.trunks[0].credentials = TrunkCredentials{.username = "osprey", .password = "s3cret", .realm = {}};
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &b2bua;
  feed(alice_invite(), kAlice);
  auto first = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(first, 407,
              "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\r\n"),
       kCarrier);
  auto invites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(invites.size(), 2u);
  const sip::Message& second = invites[1];
  EXPECT_EQ(second.cseq()->number, 2u);  // RFC 3261 §8.1.3.5: the next CSeq
  EXPECT_EQ(second.call_id(), first.call_id());
  EXPECT_EQ(second.from()->tag(), first.from()->tag());
  const auto credentials = second.first_value(sip::HeaderId::proxy_authorization);
  ASSERT_TRUE(credentials);
  EXPECT_NE(credentials->find("username=\"osprey\""), std::string_view::npos);
  EXPECT_NE(credentials->find("realm=\"carrier\""), std::string_view::npos);
  EXPECT_EQ(responses_to(kAlice, 407).size(), 0u);
  // The same realm challenged again: the password was refused; no loop, the caller gets 403.
  feed(answer(second, 407,
              "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n2\", algorithm=MD5, qop=\"auth\"\r\n"),
       kCarrier);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 2u);
  EXPECT_EQ(responses_to(kAlice, 403).size(), 1u);
  EXPECT_EQ(b2bua.call_count(), 0u);
}

TEST_F(B2buaTest, AnsweredChallengeLeadsToTheCallWithItsOwnCSeq) {
  SbcSettings sbc = settings();
  sbc.trunks[0].credentials = TrunkCredentials{.username = "osprey", .password = "s3cret", .realm = {}};
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &b2bua;
  feed(alice_invite(), kAlice);
  auto first = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(first, 401, "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"n1\", algorithm=MD5\r\n"),
       kCarrier);
  auto second = std::move(requests_to(kCarrier, sip::Method::invite).at(1));
  EXPECT_TRUE(second.first_value(sip::HeaderId::authorization));
  feed(answer(second, 200), kCarrier);
  alice_acks(responses_to(kAlice, 200).at(0));
  // The table's ACK for the 401 (CSeq 1, §17.1.1.3), then osprey's for the 200 (CSeq 2).
  auto acks = requests_to(kCarrier, sip::Method::ack);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].cseq()->number, 1u);
  EXPECT_EQ(acks[1].cseq()->number, 2u);
  EXPECT_EQ(b2bua.call_count(), 1u);
}

TEST_F(B2buaTest, InDialogChallengesOfTheTrunkAreAnsweredToo) {
  SbcSettings sbc = settings();
  sbc.trunks[0].credentials = TrunkCredentials{.username = "osprey", .password = "s3cret", .realm = {}};
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &b2bua;
  feed(alice_invite(), kAlice);
  feed(answer(requests_to(kCarrier, sip::Method::invite).at(0), 200), kCarrier);
  auto ok = std::move(responses_to(kAlice, 200).at(0));
  alice_acks(ok);
  const std::string leg = uri_of_contact(ok);
  const std::string from = "\"Alice\" <sip:alice@example.com>;tag=a1";
  const std::string to(ok.to()->text);
  const std::string challenge =
      "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n7\", algorithm=MD5\r\n";
  // A re-INVITE the trunk challenges: sent again with credentials; alice sees only the 200.
  feed(in_dialog("INVITE", leg, from, to, "caller-call-1@192.0.2.9", 11, "z9hG4bKre7", "192.0.2.9:5070",
                 "Contact: <sip:alice@192.0.2.9:5070>\r\n"),
       kAlice);
  auto reinvites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(reinvites.size(), 2u);
  feed(answer(reinvites[1], 407, challenge), kCarrier);
  reinvites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(reinvites.size(), 3u);
  EXPECT_EQ(reinvites[2].cseq()->number, reinvites[1].cseq()->number + 1);
  EXPECT_TRUE(reinvites[2].first_value(sip::HeaderId::proxy_authorization).has_value());
  feed(answer(reinvites[2], 200), kCarrier);
  EXPECT_EQ(responses_to(kAlice, 407).size(), 0u);
  EXPECT_EQ(responses_to(kAlice, 200).size(), 2u);
  // Alice hangs up; the trunk challenges osprey's BYE: once more with credentials.
  feed(in_dialog("BYE", leg, from, to, "caller-call-1@192.0.2.9", 12, "z9hG4bKbye7", "192.0.2.9:5070"),
       kAlice);
  auto byes = requests_to(kCarrier, sip::Method::bye);
  ASSERT_EQ(byes.size(), 1u);
  feed(answer(byes[0], 407, challenge), kCarrier);
  byes = requests_to(kCarrier, sip::Method::bye);
  ASSERT_EQ(byes.size(), 2u);
  EXPECT_EQ(byes[1].cseq()->number, byes[0].cseq()->number + 1);
  EXPECT_TRUE(byes[1].first_value(sip::HeaderId::proxy_authorization).has_value());
  feed(answer(byes[1], 407, challenge), kCarrier);  // refused again: no loop
  EXPECT_EQ(requests_to(kCarrier, sip::Method::bye).size(), 2u);
  EXPECT_EQ(b2bua.call_count(), 0u);
}

TEST_F(B2buaTest, TrunkLimitsPassTheCallOnThenRefuseWithRetryAfter) {
  SbcSettings sbc = settings();
  sbc.trunks[0].limits.max_calls = 1;
  sbc.trunks[1].limits.max_calls = 1;
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  b2bua.reload(sbc, {std::make_shared<TrunkAdmissions>(sbc.trunks, TrunkAdmission::Clock::now()), nullptr});
  user_.b2bua = &b2bua;
  const auto call = [this](int n) {
    std::string text = alice_invite();
    for (const std::string from : {"z9hG4bKalice1", "caller-call-1", "tag=a1"}) {
      const std::string to = from + "-" + std::to_string(n);
      text.replace(text.find(from), from.size(), to);
    }
    feed(text, kAlice);
  };
  call(1);  // the carrier's one call
  call(2);  // the carrier is full: the backup
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 1u);
  EXPECT_EQ(requests_to(kBackup, sip::Method::invite).size(), 1u);
  call(3);  // both full
  auto refused = responses_to(kAlice, 503);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].first_value(sip::HeaderId::retry_after), "5");
  EXPECT_EQ(b2bua.counters().refused_by_limits, 3u);  // call 2 at the carrier, call 3 at both
  EXPECT_EQ(b2bua.call_count(), 2u);
  // The carrier's call fails: its slot is free again.
  feed(answer(requests_to(kCarrier, sip::Method::invite).at(0), 486), kCarrier);
  call(4);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 2u);
}

TEST_F(B2buaTest, TrunkChallengeNeverReachesTheCaller) {
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(invite, 407, "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n\"\r\n"), kCarrier);
  EXPECT_EQ(responses_to(kAlice, 407).size(), 0u);
  EXPECT_EQ(responses_to(kAlice, 403).size(), 1u);
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, CallsFromTheTrunkReachOurUsersBindings) {
  feed(
      "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKin1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:+15551230000@carrier.example>;tag=t1\r\nTo: <sip:bob@example.com>\r\n"
      "Call-ID: inbound-1@carrier.example\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@192.0.2.50:5060>\r\n"
      "Content-Length: 0\r\n\r\n",
      kCarrier);
  auto invites = requests_to(kBob, sip::Method::invite);
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_EQ(invites[0].request_uri().text, "sip:bob@198.51.100.7:5062");
  const std::string raw = invites[0].serialize();
  EXPECT_EQ(raw.find("carrier.example"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("192.0.2.50"), std::string::npos) << raw;
  feed(answer(invites[0], 200, {}, "bob-tag", "sip:bob@198.51.100.7:5062"), kBob);
  EXPECT_EQ(responses_to(kCarrier, 200).size(), 1u);
  EXPECT_EQ(b2bua_.call_count(), 1u);
}

TEST_F(B2buaTest, ATrunkWithInboundCredentialsIsChallengedBeforeAnyCall) {
  SbcSettings sbc = settings();
  sbc.trunks[0].inbound_credentials = TrunkCredentials{.username = "carrier", .password = "pw", .realm = {}};
  security::NonceService nonces(security::NonceService::random_secret());
  security::NonceCounts counts(security::NonceCounts::retention_for(nonces));
  auto authenticators =
      std::make_shared<const TrunkAuthenticators>(sbc.trunks, "example.com", nonces, counts);
  B2bua b2bua(
      0, sbc, table_, transport_, identity_,
      [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); },
      UserLocation{.location = &store_,
                   .clock = [] { return std::int64_t{1'800'000'000}; },
                   .connection_open = {},
                   .is_local_user = {}});
  user_.b2bua = &b2bua;
  const std::string invite =
      "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKin2\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:+15551230000@carrier.example>;tag=t1\r\nTo: <sip:bob@example.com>\r\n"
      "Call-ID: inbound-2@carrier.example\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@192.0.2.50:5060>\r\n"
      "Content-Length: 0\r\n\r\n";
  // No verifier: fail closed.
  feed(invite, kCarrier);
  EXPECT_EQ(responses_to(kCarrier, 403).size(), 1u);
  b2bua.reload(sbc, {nullptr, authenticators});
  std::string again = invite;
  again.replace(again.find("z9hG4bKin2"), 10, "z9hG4bKin3");
  again.replace(again.find("inbound-2"), 9, "inbound-3");
  feed(again, kCarrier);
  auto challenged = responses_to(kCarrier, 407);
  ASSERT_EQ(challenged.size(), 1u);
  EXPECT_TRUE(challenged[0].first_value(sip::HeaderId::proxy_authenticate).has_value());
  EXPECT_EQ(requests_to(kBob, sip::Method::invite).size(), 0u);
  EXPECT_EQ(b2bua.call_count(), 0u);
}

TEST_F(B2buaTest, AMessageToATrunkRouteIsOneTransactionWithNothingOfTheSender) {
  std::string text = alice_invite();
  text.replace(0, 6, "MESSAGE");
  text.replace(text.find("CSeq: 10 INVITE"), 15, "CSeq: 10 MESSAGE");
  text.replace(text.find("application/sdp"), 15, "text/plain");
  feed(text, kAlice);
  auto messages = requests_to(kCarrier, sip::Method::message);
  ASSERT_EQ(messages.size(), 1u);
  const std::string raw = messages[0].serialize();
  EXPECT_EQ(messages[0].request_uri().text, "sip:00442071234567@192.0.2.50:5060");
  EXPECT_EQ(raw.find("caller-call-1"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("192.0.2.9"), std::string::npos) << raw;
  EXPECT_EQ(messages[0].body(), "v=0\r\no=- 1 1 IN IP4 media.invalid\r\n");
  feed(answer(messages[0], 202), kCarrier);
  auto accepted = responses_to(kAlice, 202);
  ASSERT_EQ(accepted.size(), 1u);
  EXPECT_FALSE(accepted[0].to()->tag().empty());
  EXPECT_NE(accepted[0].to()->tag(), "callee-tag");
  EXPECT_EQ(accepted[0].serialize().find("CarrierSwitch"), std::string::npos);
  EXPECT_EQ(b2bua_.call_count(), 0u);  // no call
}

TEST_F(B2buaTest, AMessageToATrunkSpendsItsCallsPerSecond) {
  SbcSettings sbc = settings();
  sbc.trunks[0].limits.calls_per_second = 1;
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  b2bua.reload(sbc, {std::make_shared<TrunkAdmissions>(sbc.trunks, TrunkAdmission::Clock::now()), nullptr});
  user_.b2bua = &b2bua;
  for (const std::string n : {"1", "2"}) {
    std::string text = alice_invite();
    text.replace(0, 6, "MESSAGE");
    text.replace(text.find("CSeq: 10 INVITE"), 15, "CSeq: 10 MESSAGE");
    text.replace(text.find("z9hG4bKalice1"), 13, "z9hG4bKmsg" + n);
    text.replace(text.find("caller-call-1"), 13, "message-" + n);
    feed(text, kAlice);
  }
  EXPECT_EQ(requests_to(kCarrier, sip::Method::message).size(), 1u);
  auto refused = responses_to(kAlice, 503);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_TRUE(refused[0].first_value(sip::HeaderId::retry_after).has_value());
  EXPECT_EQ(b2bua.counters().refused_by_limits, 1u);
}

TEST_F(B2buaTest, AMessagesTrunkChallengeIsAnsweredNeverPassedOn) {
  SbcSettings sbc = settings();
  sbc.trunks[0].credentials = TrunkCredentials{.username = "osprey", .password = "s3cret", .realm = {}};
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &b2bua;
  std::string text = alice_invite();
  text.replace(0, 6, "MESSAGE");
  text.replace(text.find("CSeq: 10 INVITE"), 15, "CSeq: 10 MESSAGE");
  feed(text, kAlice);
  const std::string challenge =
      "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\r\n";
  feed(answer(requests_to(kCarrier, sip::Method::message).at(0), 407, challenge), kCarrier);
  auto messages = requests_to(kCarrier, sip::Method::message);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].cseq()->number, messages[0].cseq()->number + 1);
  EXPECT_EQ(messages[1].call_id(), messages[0].call_id());
  const auto credentials = messages[1].first_value(sip::HeaderId::proxy_authorization);
  ASSERT_TRUE(credentials);
  EXPECT_NE(credentials->find("username=\"osprey\""), std::string_view::npos);
  EXPECT_EQ(responses_to(kAlice, 407).size(), 0u);
  // Challenged again: the password was refused; no loop, and the sender gets 403, not 407.
  feed(answer(messages[1], 407, challenge), kCarrier);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::message).size(), 2u);
  EXPECT_EQ(responses_to(kAlice, 407).size(), 0u);
  EXPECT_EQ(responses_to(kAlice, 403).size(), 1u);
}

TEST_F(B2buaTest, ResponsesAreBuiltFromTheRequestAsReceivedNotAsTheRulesEditedIt) {
  SbcSettings sbc = settings();
  sbc.trunks[0].rules_in =
      std::make_shared<ReplaceHeaderRules>(sip::HeaderId::from, "<sip:ruled@carrier.example>;tag=ruled");
  B2bua b2bua(
      0, sbc, table_, transport_, identity_,
      [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); },
      UserLocation{.location = &store_,
                   .clock = [] { return std::int64_t{1'800'000'000}; },
                   .connection_open = {},
                   .is_local_user = {}});
  user_.b2bua = &b2bua;
  feed(
      "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKin5\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:+15551230000@carrier.example>;tag=t1\r\nTo: <sip:bob@example.com>\r\n"
      "Call-ID: inbound-5@carrier.example\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@192.0.2.50:5060>\r\n"
      "Content-Length: 0\r\n\r\n",
      kCarrier);
  auto invites = requests_to(kBob, sip::Method::invite);
  ASSERT_EQ(invites.size(), 1u);
  feed(answer(invites[0], 200, {}, "bob-tag", "sip:bob@198.51.100.7:5062"), kBob);
  auto oks = responses_to(kCarrier, 200);
  ASSERT_EQ(oks.size(), 1u);
  EXPECT_EQ(oks[0].from()->tag(), "t1");  // RFC 3261 §8.2.6.2
  // In the dialog too: the carrier's INFO, answered by bob.
  feed(in_dialog("ACK", uri_of_contact(oks[0]), "<sip:+15551230000@carrier.example>;tag=t1",
                 std::string(oks[0].to()->text), "inbound-5@carrier.example", 1, "z9hG4bKin5ack",
                 "192.0.2.50:5060"),
       kCarrier);
  feed(in_dialog("INFO", uri_of_contact(oks[0]), "<sip:+15551230000@carrier.example>;tag=t1",
                 std::string(oks[0].to()->text), "inbound-5@carrier.example", 2, "z9hG4bKin5info",
                 "192.0.2.50:5060"),
       kCarrier);
  auto infos = requests_to(kBob, sip::Method::info);
  ASSERT_EQ(infos.size(), 1u);
  feed(answer(infos[0], 200, {}, "bob-tag"), kBob);
  oks = responses_to(kCarrier, 200);
  ASSERT_EQ(oks.size(), 2u);
  EXPECT_EQ(oks[1].cseq()->method_text, "INFO");
  EXPECT_EQ(oks[1].from()->tag(), "t1");
}

TEST_F(B2buaTest, ARequestThatCannotBeSentLeavesBothLegsAsTheyWere) {
  SbcSettings sbc = settings();
  sbc.trunks[0].rules_out = std::make_shared<FailOnMethodRules>(sip::Method::update);
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &b2bua;
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(invite, 200), kCarrier);
  auto ok = std::move(responses_to(kAlice, 200).at(0));
  alice_acks(ok);
  const std::string alice_from = "\"Alice\" <sip:alice@example.com>;tag=a1";
  // Alice's UPDATE moves her target, but the trunk's rule refuses it: nothing goes, nothing moves.
  feed(in_dialog("UPDATE", uri_of_contact(ok), alice_from, std::string(ok.to()->text),
                 "caller-call-1@192.0.2.9", 11, "z9hG4bKupd1", "192.0.2.9:5070",
                 "Contact: <sip:alice@192.0.2.9:5099>\r\n"),
       kAlice);
  auto refused = responses_to(kAlice, 500);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].cseq()->number, 11u);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::update).size(), 0u);
  // The next request on the carrier leg takes the CSeq the refused one did not use.
  feed(in_dialog("INFO", uri_of_contact(ok), alice_from, std::string(ok.to()->text),
                 "caller-call-1@192.0.2.9", 12, "z9hG4bKinfo1", "192.0.2.9:5070"),
       kAlice);
  auto infos = requests_to(kCarrier, sip::Method::info);
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_EQ(infos[0].cseq()->number, 2u);
  // Alice's remote target is still the one she had: the carrier's BYE reaches her there.
  feed(in_dialog("BYE", uri_of_contact(invite), "<sip:00442071234567@192.0.2.50>;tag=callee-tag",
                 std::string(invite.from()->text), std::string(*invite.call_id()), 5, "z9hG4bKcbye",
                 "192.0.2.50:5060"),
       kCarrier);
  auto byes = requests_to(kAlice, sip::Method::bye);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].request_uri().text, "sip:alice@192.0.2.9:5070");
}

TEST_F(B2buaTest, ATrunkNeverReachesAnotherTrunk) {
  // From the carrier's address to a number of the route, even let through by access control
  // (a trusted peer): no transit between trunks.
  user_.asserted_identity.clear();
  user_.trusted = true;
  feed(
      "INVITE sip:+33123456789@transit.example SIP/2.0\r\nVia: SIP/2.0/UDP "
      "192.0.2.50:5060;branch=z9hG4bKtr1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:+15551230000@carrier.example>;tag=t1\r\nTo: "
      "<sip:+33123456789@transit.example>\r\n"
      "Call-ID: transit-1@carrier.example\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@192.0.2.50:5060>\r\n"
      "Content-Length: 0\r\n\r\n",
      kCarrier);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 0u);
  EXPECT_EQ(requests_to(kBackup, sip::Method::invite).size(), 0u);
  EXPECT_EQ(user_.refused, 1);  // left to the proxy (here: 404)
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, OnlyCallsThatMayLeaveOurUsersGoToTrunks) {
  user_.may_relay = false;  // an unauthenticated caller let in for our users only
  feed(alice_invite(), kAlice);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 0u);
  EXPECT_EQ(user_.refused, 1);
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, TrunkRulesRunOnWhatGoesToAndComesFromTheTrunk) {
  SbcSettings sbc = settings();
  sbc.trunks[0].rules_out = std::make_shared<AddHeaderRules>("X-Carrier-Account", "4711");
  // Subject is allow-listed: what the in-rule writes reaches the caller.
  sbc.trunks[0].rules_in = std::make_shared<AddHeaderRules>("Subject", "set by rule");
  B2bua ruled(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &ruled;
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  EXPECT_EQ(invite.first_value("X-Carrier-Account"), "4711");
  feed(answer(invite, 180), kCarrier);
  auto ringing = responses_to(kAlice, 180);
  ASSERT_EQ(ringing.size(), 1u);
  EXPECT_EQ(ringing[0].first_value(sip::HeaderId::subject), "set by rule");
  EXPECT_EQ(ringing[0].first_value("X-Carrier-Account"), std::nullopt);  // out rules: toward the trunk only
  feed(answer(invite, 200), kCarrier);
  alice_acks(responses_to(kAlice, 200).at(0));
  EXPECT_EQ(requests_to(kCarrier, sip::Method::ack).at(0).first_value("X-Carrier-Account"), "4711");
}

TEST_F(B2buaTest, AReloadAppliesItsLimitsAndKeepsTheCallsInProgressCounted) {
  // Started without limits; a call is up on the carrier.
  SbcSettings sbc = settings();
  auto admissions = std::make_shared<TrunkAdmissions>(sbc.trunks, TrunkAdmission::Clock::now());
  b2bua_.reload(sbc, {admissions, nullptr});
  auto first = answered_call();
  alice_acks(first.caller_ok);
  // The reloaded file gives the carrier one call at most, and the backup none beyond one: the
  // call in progress counts against the new limit, so the next one goes to the backup.
  sbc.trunks[0].limits.max_calls = 1;
  sbc.trunks[1].limits.max_calls = 1;
  b2bua_.reload(
      sbc, {std::make_shared<TrunkAdmissions>(sbc.trunks, TrunkAdmission::Clock::now(), admissions.get()),
            nullptr});
  std::string text = alice_invite();
  text.replace(text.find("z9hG4bKalice1"), 13, "z9hG4bKalice2");
  text.replace(text.find("caller-call-1"), 13, "caller-call-2");
  feed(text, kAlice);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 1u);
  EXPECT_EQ(requests_to(kBackup, sip::Method::invite).size(), 1u);
  EXPECT_EQ(b2bua_.counters().refused_by_limits, 1u);
}

TEST_F(B2buaTest, AReloadedInboundPasswordIsTheOneAskedFor) {
  SbcSettings sbc = settings();
  sbc.trunks[0].inbound_credentials =
      TrunkCredentials{.username = "carrier", .password = "pw", .realm = "old"};
  security::NonceService nonces(security::NonceService::random_secret());
  security::NonceCounts counts(security::NonceCounts::retention_for(nonces));
  b2bua_.reload(
      sbc, {nullptr, std::make_shared<const TrunkAuthenticators>(sbc.trunks, "example.com", nonces, counts)});
  sbc.trunks[0].inbound_credentials =
      TrunkCredentials{.username = "carrier", .password = "pw2", .realm = "new"};
  b2bua_.reload(
      sbc, {nullptr, std::make_shared<const TrunkAuthenticators>(sbc.trunks, "example.com", nonces, counts)});
  feed(
      "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKin9\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:+15551230000@carrier.example>;tag=t1\r\nTo: <sip:bob@example.com>\r\n"
      "Call-ID: inbound-9@carrier.example\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@192.0.2.50:5060>\r\n"
      "Content-Length: 0\r\n\r\n",
      kCarrier);
  auto challenged = responses_to(kCarrier, 407);
  ASSERT_EQ(challenged.size(), 1u);
  const auto challenge = challenged[0].first_value(sip::HeaderId::proxy_authenticate);
  ASSERT_TRUE(challenge.has_value());
  EXPECT_NE(challenge->find("realm=\"new\""), std::string_view::npos) << *challenge;
  b2bua_.reload(settings());  // the accounts refer to this test's nonces
}

TEST_F(B2buaTest, AReloadAppliesToNewCallsAndLeavesCallsInProgressAlone) {
  auto first = answered_call();
  alice_acks(first.caller_ok);
  SbcSettings reloaded = settings();
  reloaded.trunks[0].rules_out = std::make_shared<AddHeaderRules>("X-Reloaded", "yes");
  b2bua_.reload(reloaded);
  reloaded = SbcSettings{};  // the B2BUA keeps its own copy
  // A new call uses the new rules.
  std::string text = alice_invite();
  text.replace(text.find("z9hG4bKalice1"), 13, "z9hG4bKalice2");
  text.replace(text.find("caller-call-1"), 13, "caller-call-2");
  feed(text, kAlice);
  auto invites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(invites.size(), 2u);
  EXPECT_EQ(invites[1].first_value("X-Reloaded"), "yes");
  // The call in progress keeps the trunk it started with.
  feed(in_dialog("BYE", uri_of_contact(first.caller_ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                 std::string(first.caller_ok.to()->text), "caller-call-1@192.0.2.9", 11, "z9hG4bKbye9",
                 "192.0.2.9:5070"),
       kAlice);
  auto byes = requests_to(kCarrier, sip::Method::bye);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(byes[0].first_value("X-Reloaded"), std::nullopt);
  EXPECT_EQ(b2bua_.call_count(), 1u);
}

TEST_F(B2buaTest, AFailingTrunkRuleSendsNothingToTheTrunk) {
  SbcSettings sbc = settings();
  sbc.trunks[0].rules_out = std::make_shared<AddHeaderRules>("X", "y", true);
  sbc.routes[0].trunks = {"carrier"};
  B2bua ruled(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &ruled;
  feed(alice_invite(), kAlice);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 0u);
  EXPECT_EQ(responses_to(kAlice, 500).size(), 1u);
  EXPECT_EQ(ruled.call_count(), 0u);
}

class B2buaTimerTest : public B2buaTest {
 protected:
  static SbcSettings short_timers() {
    SbcSettings sbc = settings();
    sbc.trunks[0].session_timers = SessionTimerSettings{.enabled = true, .session_expires = 90, .min_se = 90};
    return sbc;
  }
  B2buaTimerTest()
      : timed_(0, short_timers(), table_, transport_, identity_,
               [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); }) {
    user_.b2bua = &timed_;
    timed_.advance(start_);
  }
  B2bua timed_;
};

TEST_F(B2buaTimerTest, TooShortASessionIsRefused422WithMinSE) {
  std::string text = alice_invite();
  text.insert(text.find("Content-Type"), "Session-Expires: 30\r\n");
  feed(text, kAlice);
  auto refused = responses_to(kAlice, 422);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].first_value(sip::HeaderId::min_se), "90");
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 0u);
  EXPECT_EQ(timed_.call_count(), 0u);
}

TEST_F(B2buaTimerTest, OspreyRefreshesTheTrunkLegWithItsLastOffer) {
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  EXPECT_EQ(invite.first_value(sip::HeaderId::session_expires), "90");
  // The carrier runs no timer (no Session-Expires in its 200): osprey refreshes that leg itself.
  feed(answer(invite, 200), kCarrier);
  auto ok = std::move(responses_to(kAlice, 200).at(0));
  EXPECT_TRUE(ok.first_value(sip::HeaderId::session_expires).has_value());  // the caller leg's own terms
  alice_acks(ok);
  const std::size_t before = transport_.sent.size();
  timed_.advance(start_ + std::chrono::seconds(50));  // past half the interval
  auto refreshes = requests_to(kCarrier, sip::Method::invite, before);
  ASSERT_EQ(refreshes.size(), 1u);
  EXPECT_EQ(refreshes[0].cseq()->number, 2u);
  EXPECT_EQ(refreshes[0].body(), invite.body());  // the unchanged offer (RFC 3264 §8)
  EXPECT_TRUE(refreshes[0].first_value(sip::HeaderId::session_expires).has_value());
  EXPECT_EQ(requests_to(kAlice, sip::Method::invite, before).size(), 0u);  // nothing crosses
  feed(answer(refreshes[0], 200), kCarrier);
  auto acks = requests_to(kCarrier, sip::Method::ack, before);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].cseq()->number, 2u);
  EXPECT_EQ(timed_.counters().session_refreshes, 1u);
  EXPECT_EQ(timed_.call_count(), 1u);
}

TEST_F(B2buaTimerTest, AnUnansweredRefreshEndsTheCallOnBothLegsWithAReason) {
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(invite, 200), kCarrier);
  alice_acks(responses_to(kAlice, 200).at(0));
  timed_.advance(start_ + std::chrono::seconds(50));
  ASSERT_EQ(timed_.counters().session_refreshes, 1u);
  // Nothing answers the refresh: Timer B runs out (RFC 4028 §10: the session is over).
  table_.advance(start_ + std::chrono::seconds(90));
  auto to_alice = requests_to(kAlice, sip::Method::bye);
  auto to_carrier = requests_to(kCarrier, sip::Method::bye);
  // (one BYE each, retransmitted while unanswered: Timer E)
  ASSERT_FALSE(to_alice.empty());
  ASSERT_FALSE(to_carrier.empty());
  EXPECT_EQ(to_alice.front().cseq()->number, to_alice.back().cseq()->number);
  EXPECT_NE(to_alice[0].first_value(sip::HeaderId::reason)->find("cause=408"), std::string_view::npos);
  EXPECT_TRUE(to_carrier[0].first_value(sip::HeaderId::reason).has_value());
  EXPECT_EQ(timed_.counters().sessions_ended, 1u);
  EXPECT_EQ(timed_.call_count(), 0u);
}

TEST_F(B2buaTimerTest, ARefreshWaitsForAnOfferInFlightAndEachAckCarriesItsOwnInvitesCSeq) {
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(invite, 200), kCarrier);
  auto ok = std::move(responses_to(kAlice, 200).at(0));
  alice_acks(ok);
  const std::string alice_leg = uri_of_contact(ok);
  const std::string alice_from = "\"Alice\" <sip:alice@example.com>;tag=a1";
  const std::string alice_to(ok.to()->text);
  // Alice's re-INVITE goes to the carrier and waits there for its answer.
  feed(in_dialog("INVITE", alice_leg, alice_from, alice_to, "caller-call-1@192.0.2.9", 11, "z9hG4bKre11",
                 "192.0.2.9:5070", "Contact: <sip:alice@192.0.2.9:5070>\r\n"),
       kAlice);
  auto reinvites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(reinvites.size(), 2u);
  const sip::Message reinvite = std::move(reinvites[1]);
  // The carrier leg's refresh is due meanwhile: it waits (one INVITE at a time on a leg).
  std::size_t before = transport_.sent.size();
  timed_.advance(start_ + std::chrono::seconds(50));
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite, before).size(), 0u);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::update, before).size(), 0u);
  feed(answer(reinvite, 200), kCarrier);
  ASSERT_EQ(responses_to(kAlice, 200).size(), 2u);
  // Until Alice ACKs, osprey's ACK on the carrier leg is owed: no other INVITE goes there.
  feed(in_dialog("INVITE", alice_leg, alice_from, alice_to, "caller-call-1@192.0.2.9", 12, "z9hG4bKre12",
                 "192.0.2.9:5070", "Contact: <sip:alice@192.0.2.9:5070>\r\n"),
       kAlice);
  EXPECT_EQ(responses_to(kAlice, 500).size(), 1u);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite, before).size(), 0u);
  feed(in_dialog("ACK", alice_leg, alice_from, alice_to, "caller-call-1@192.0.2.9", 11, "z9hG4bKreack11",
                 "192.0.2.9:5070"),
       kAlice);
  auto acks = requests_to(kCarrier, sip::Method::ack, before);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].cseq()->number, reinvite.cseq()->number);
  // The re-INVITE's 2xx comes again (the ACK was lost): the same ACK again (§13.2.2.4).
  feed(answer(reinvite, 200), kCarrier);
  acks = requests_to(kCarrier, sip::Method::ack, before);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].cseq()->number, reinvite.cseq()->number);
  // The refresh goes later, and its ACK has its own CSeq, also on its 2xx's retransmission.
  before = transport_.sent.size();
  timed_.advance(start_ + std::chrono::seconds(100));
  auto refreshes = requests_to(kCarrier, sip::Method::invite, before);
  ASSERT_EQ(refreshes.size(), 1u);
  EXPECT_GT(refreshes[0].cseq()->number, reinvite.cseq()->number);
  feed(answer(refreshes[0], 200), kCarrier);
  feed(answer(refreshes[0], 200), kCarrier);
  acks = requests_to(kCarrier, sip::Method::ack, before);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].cseq()->number, refreshes[0].cseq()->number);
  EXPECT_EQ(acks[1].cseq()->number, refreshes[0].cseq()->number);
  EXPECT_EQ(timed_.call_count(), 1u);
}

TEST_F(B2buaTimerTest, AnOfferCrossingARefreshOnTheOtherLegGets491) {
  feed(alice_invite(), kAlice);
  auto invite = std::move(requests_to(kCarrier, sip::Method::invite).at(0));
  feed(answer(invite, 200), kCarrier);
  auto ok = std::move(responses_to(kAlice, 200).at(0));
  alice_acks(ok);
  timed_.advance(start_ + std::chrono::seconds(50));  // osprey's refresh goes to the carrier
  ASSERT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 2u);
  // Alice's offer would be a second INVITE on the carrier leg at once: 491 (RFC 3261 §14.2).
  feed(in_dialog("INVITE", uri_of_contact(ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                 std::string(ok.to()->text), "caller-call-1@192.0.2.9", 11, "z9hG4bKre12", "192.0.2.9:5070",
                 "Contact: <sip:alice@192.0.2.9:5070>\r\n"),
       kAlice);
  EXPECT_EQ(responses_to(kAlice, 491).size(), 1u);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 2u);
}

TEST_F(B2buaTest, RegistersToTheTrunksThatWantItThroughItsOwnTable) {
  SbcSettings sbc = settings();
  sbc.trunks[0].credentials = TrunkCredentials{.username = "osprey", .password = "s3cret", .realm = {}};
  sbc.trunks[0].registration =
      TrunkRegistration{.enabled = true, .aor = "sip:4420@192.0.2.50", .expires = 600, .retry_after = 60};
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &b2bua;
  b2bua.start_registrations([](const Trunk&) { return std::string("sip:4420@127.0.0.1:5060"); }, start_);
  auto registers = requests_to(kCarrier, sip::Method::register_);
  ASSERT_EQ(registers.size(), 1u);
  EXPECT_EQ(registers[0].first_value(sip::HeaderId::contact), "<sip:4420@127.0.0.1:5060>");
  feed(answer(registers[0], 200, "Expires: 600\r\n", "reg", "sip:4420@127.0.0.1:5060"), kCarrier);
  ASSERT_NE(b2bua.registrations(), nullptr);
  const auto statuses = b2bua.registrations()->statuses();
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].second.phase, TrunkRegistrationPhase::registered);
  EXPECT_EQ(b2bua.call_count(), 0u);
}

TEST(LegContact, ParsesOnlyItsOwnShape) {
  const std::string id(kLegIdDigits, 'a');
  const std::string user = leg_contact_user(12, id);
  const auto parsed = parse_leg_user(user);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->worker, 12u);
  EXPECT_EQ(parsed->leg_id, id);
  EXPECT_FALSE(parse_leg_user("b2b.w1." + std::string(kLegIdDigits - 1, 'a')));
  EXPECT_FALSE(parse_leg_user("b2b.w1." + std::string(kLegIdDigits, 'G')));
  EXPECT_FALSE(parse_leg_user("b2b.wx." + id));
  EXPECT_FALSE(parse_leg_user("alice"));
  LegIdSource ids;
  EXPECT_NE(ids.next(), ids.next());
}

namespace osprey::sbc {
namespace {

TEST_F(B2buaTest, OneOfferAtATimeOnACallAndABoundOnWhatWaits) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string leg = uri_of_contact(call.callee_invite);
  const std::string callee_from = "<sip:00442071234567@192.0.2.50>;tag=callee-tag";
  const std::string callee_to(call.callee_invite.from()->text);
  const std::string callee_call(*call.callee_invite.call_id());
  feed(in_dialog("INVITE", leg, callee_from, callee_to, callee_call, 5, "z9hG4bKre1", "192.0.2.50:5060"),
       kCarrier);
  ASSERT_EQ(requests_to(kAlice, sip::Method::invite).size(), 1u);
  // RFC 3261 §14.2: the same side's second offer while its first is unanswered: 500, Retry-After.
  feed(in_dialog("INVITE", leg, callee_from, callee_to, callee_call, 6, "z9hG4bKre2", "192.0.2.50:5060"),
       kCarrier);
  auto pending = responses_to(kCarrier, 500);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_TRUE(pending[0].first_value(sip::HeaderId::retry_after).has_value());
  EXPECT_EQ(requests_to(kAlice, sip::Method::invite).size(), 1u);  // nothing more toward alice
  // An offer of the other side crossing it: 491 (glare).
  feed(in_dialog("INVITE", uri_of_contact(call.caller_ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                 std::string(call.caller_ok.to()->text), "caller-call-1@192.0.2.9", 11, "z9hG4bKglare",
                 "192.0.2.9:5070"),
       kAlice);
  EXPECT_EQ(responses_to(kAlice, 491).size(), 1u);
  // Requests that wait for the other leg are bounded per call.
  for (std::uint32_t i = 0; i < B2bua::kMaxPendingPerCall + 4; ++i) {
    feed(in_dialog("INFO", leg, callee_from, callee_to, callee_call, 10 + i,
                   "z9hG4bKinfo" + std::to_string(i), "192.0.2.50:5060"),
         kCarrier);
  }
  EXPECT_LE(requests_to(kAlice, sip::Method::info).size(), B2bua::kMaxPendingPerCall);
  EXPECT_GE(responses_to(kCarrier, 500).size(), 2u);
}

}  // namespace
}  // namespace osprey::sbc

namespace osprey::sbc {
namespace {

TEST_F(B2buaTest, EarlyDialogsACallerSeesAreBounded) {
  feed(alice_invite(), kAlice);
  auto invites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(invites.size(), 1u);
  // A peer inventing a new To tag for every 183 (forks without end): the caller hears of at
  // most kMaxEarlyDialogs of them, and a known fork keeps being passed on.
  for (std::size_t i = 0; i < B2bua::kMaxEarlyDialogs + 10; ++i)
    feed(answer(invites[0], 183, {}, "fork-" + std::to_string(i)), kCarrier);
  feed(answer(invites[0], 183, {}, "fork-0"), kCarrier);
  std::set<std::string> caller_tags;
  for (const sip::Message& early : responses_to(kAlice, 183)) caller_tags.emplace(early.to()->tag());
  EXPECT_EQ(caller_tags.size(), B2bua::kMaxEarlyDialogs);
  EXPECT_EQ(responses_to(kAlice, 183).size(), B2bua::kMaxEarlyDialogs + 1);
  // A fork past the bound may still answer: the call is confirmed with it.
  feed(answer(invites[0], 200, {}, "fork-20", "sip:late@192.0.2.50:5060"), kCarrier);
  EXPECT_EQ(responses_to(kAlice, 200).size(), 1u);
}

}  // namespace
}  // namespace osprey::sbc

namespace osprey::sbc {
namespace {

TEST_F(B2buaTest, ACallerFromATrunkNeverLooksLikeOneOfOurUsers) {
  B2bua b2bua(
      0, settings(), table_, transport_, identity_,
      [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); },
      UserLocation{
          .location = &store_,
          .clock = [] { return std::int64_t{1'800'000'000}; },
          .connection_open = {},
          .is_local_user = [](const sip::Uri& uri) { return uri.user == "bob" || uri.user == "alice"; }});
  user_.b2bua = &b2bua;
  // The trunk's caller calls itself "alice", the name of one of our accounts.
  feed(
      "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKspoof\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:alice@evil.example>;tag=t1\r\nTo: <sip:bob@example.com>\r\n"
      "Call-ID: spoof-1@carrier.example\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@192.0.2.50:5060>\r\n"
      "Content-Length: 0\r\n\r\n",
      kCarrier);
  auto invites = requests_to(kBob, sip::Method::invite);
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_EQ(invites[0].from()->uri.text, "sip:alice@trunk.invalid") << invites[0].serialize();
}

}  // namespace
}  // namespace osprey::sbc

namespace osprey::sbc {
namespace {

TEST_F(B2buaTest, ANotifysSipfragCarriesOnlyTheStatusLineAcross) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string leg = uri_of_contact(call.callee_invite);
  std::string notify =
      in_dialog("NOTIFY", leg, "<sip:00442071234567@192.0.2.50>;tag=callee-tag",
                std::string(call.callee_invite.from()->text), std::string(*call.callee_invite.call_id()), 7,
                "z9hG4bKnotify", "192.0.2.50:5060",
                "Event: refer\r\nSubscription-State: active\r\nContent-Type: message/sipfrag\r\n");
  const std::string fragment =
      "SIP/2.0 200 OK\r\nContact: <sip:core3@10.20.30.40:5060>\r\nServer: CarrierSwitch 9.1\r\n";
  notify.replace(notify.find("Content-Length: 0"), 17, "Content-Length: " + std::to_string(fragment.size()));
  notify += fragment;
  feed(notify, kCarrier);
  auto notifies = requests_to(kAlice, sip::Method::notify);
  ASSERT_EQ(notifies.size(), 1u);
  EXPECT_EQ(notifies[0].body(), "SIP/2.0 200 OK\r\n");
  EXPECT_EQ(notifies[0].serialize().find("10.20.30.40"), std::string::npos);
}

TEST_F(B2buaTest, ASipfragWithBareLineFeedsStillCarriesOnlyItsStatusLine) {
  // Our phone, the transferee of the carrier's REFER, reports how its new call went; its
  // fragment's lines end in bare LF (or CR): the status line is still all that crosses, and the
  // headers of our side (the target's private Contact, the proxy's Via) stay here.
  auto call = answered_call();
  alice_acks(call.caller_ok);
  for (const std::string ending : {"\n", "\r"}) {
    std::string notify =
        in_dialog("NOTIFY", uri_of_contact(call.caller_ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                  std::string(call.caller_ok.to()->text), "caller-call-1@192.0.2.9", ending == "\n" ? 21 : 22,
                  ending == "\n" ? "z9hG4bKnotifylf" : "z9hG4bKnotifycr", "192.0.2.9:5070",
                  "Event: refer\r\nSubscription-State: active\r\nContent-Type: message/sipfrag\r\n");
    const std::string fragment = "SIP/2.0 200 OK" + ending + "Contact: <sip:bob@192.168.1.20:5062>" + ending +
                                 "Via: SIP/2.0/UDP 10.20.30.40:5060;branch=z9hG4bKcore" + ending;
    notify.replace(notify.find("Content-Length: 0"), 17,
                   "Content-Length: " + std::to_string(fragment.size()));
    notify += fragment;
    feed(notify, kAlice);
  }
  auto notifies = requests_to(kCarrier, sip::Method::notify);
  ASSERT_EQ(notifies.size(), 2u);
  for (const sip::Message& notify : notifies) {
    EXPECT_EQ(notify.body(), "SIP/2.0 200 OK\r\n");
    const std::string raw = notify.serialize();
    EXPECT_EQ(raw.find("192.168.1.20"), std::string::npos) << raw;
    EXPECT_EQ(raw.find("10.20.30.40"), std::string::npos) << raw;
  }
}

}  // namespace
}  // namespace osprey::sbc

namespace osprey::sbc {
namespace {

TEST_F(B2buaTest, ACallerThatNeverAcksItsTwoHundredIsHungUpOnBothLegs) {
  b2bua_.advance(start_);
  auto call = answered_call();
  b2bua_.advance(start_ + std::chrono::seconds(20));
  EXPECT_EQ(b2bua_.call_count(), 1u);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::bye).size(), 0u);
  // RFC 3261 §13.3.1.4: 64*T1 without the ACK ends the session.
  b2bua_.advance(start_ + std::chrono::seconds(40));
  auto byes = requests_to(kCarrier, sip::Method::bye);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_TRUE(byes[0].first_value(sip::HeaderId::reason).has_value());
  EXPECT_EQ(requests_to(kAlice, sip::Method::bye).size(), 1u);
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

}  // namespace
}  // namespace osprey::sbc

namespace osprey::sbc {
namespace {

TEST_F(B2buaTest, ACallLongerThanItsTrunksMaximumDurationIsEndedOnBothLegs) {
  SbcSettings sbc = settings();
  sbc.trunks[0].limits.max_call_duration = 60;
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &b2bua;
  b2bua.advance(start_);
  auto call = answered_call();
  alice_acks(call.caller_ok);
  b2bua.advance(start_ + std::chrono::seconds(59));
  EXPECT_EQ(requests_to(kAlice, sip::Method::bye).size(), 0u);
  EXPECT_EQ(b2bua.call_count(), 1u);
  b2bua.advance(start_ + std::chrono::seconds(61));
  auto to_alice = requests_to(kAlice, sip::Method::bye);
  auto to_carrier = requests_to(kCarrier, sip::Method::bye);
  ASSERT_EQ(to_alice.size(), 1u);
  ASSERT_EQ(to_carrier.size(), 1u);
  EXPECT_NE(to_alice[0].first_value(sip::HeaderId::reason)->find("Maximum call duration"),
            std::string_view::npos);
  EXPECT_TRUE(to_carrier[0].first_value(sip::HeaderId::reason).has_value());
  EXPECT_EQ(b2bua.call_count(), 0u);
}

TEST_F(B2buaTest, AMaximumDurationOfZeroIsNoBound) {
  SbcSettings sbc = settings();
  sbc.trunks[0].limits.max_call_duration = 0;
  sbc.trunks[0].session_timers.enabled = false;  // nothing else ends the call
  B2bua b2bua(0, sbc, table_, transport_, identity_,
              [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); });
  user_.b2bua = &b2bua;
  b2bua.advance(start_);
  auto call = answered_call();
  alice_acks(call.caller_ok);
  b2bua.advance(start_ + std::chrono::hours(24 * 30));
  EXPECT_EQ(requests_to(kAlice, sip::Method::bye).size(), 0u);
  EXPECT_EQ(b2bua.call_count(), 1u);
}

TEST_F(B2buaTest, NoTrunkForACallerNobodyAuthenticatedOrTrusts) {
  // Authentication off lets a request pass unjudged (may relay), but a trunk costs money: only
  // an authenticated user of ours or a trusted peer reaches one.
  user_.asserted_identity.clear();
  user_.trusted = false;
  user_.may_relay = true;
  feed(alice_invite(), kAlice);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::invite).size(), 0u);
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

TEST_F(B2buaTest, AByeIsNeverHeldBackByRequestsWaitingOnTheOtherLeg) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string leg = uri_of_contact(call.callee_invite);
  const std::string callee_from = "<sip:00442071234567@192.0.2.50>;tag=callee-tag";
  const std::string callee_to(call.callee_invite.from()->text);
  const std::string callee_call(*call.callee_invite.call_id());
  for (std::uint32_t i = 0; i < B2bua::kMaxPendingPerCall; ++i)
    feed(in_dialog("INFO", leg, callee_from, callee_to, callee_call, 10 + i, "z9hG4bKi" + std::to_string(i),
                   "192.0.2.50:5060"),
         kCarrier);
  feed(in_dialog("BYE", uri_of_contact(call.caller_ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                 std::string(call.caller_ok.to()->text), "caller-call-1@192.0.2.9", 11, "z9hG4bKbyeq",
                 "192.0.2.9:5070"),
       kAlice);
  EXPECT_EQ(responses_to(kAlice, 200).size(), 2u);  // the INVITE's 200 and the BYE's
  EXPECT_EQ(requests_to(kCarrier, sip::Method::bye).size(), 1u);
  EXPECT_EQ(b2bua_.call_count(), 0u);
}

}  // namespace
}  // namespace osprey::sbc

// Attended transfer (RFC 3891, RFC 5589 §7) through the B2BUA: sbc/b2bua_transfer.cpp.
class B2buaTransferTest : public B2buaTest {
 protected:
  // Alice (a call through osprey to the carrier, answered) REFERs the carrier's leg with a
  // Refer-To naming `target` with `replaces` (unescaped) embedded.
  void alice_refers(const Answered& call, const std::string& target, const std::string& replaces,
                    int cseq = 11) {
    feed(in_dialog("REFER", uri_of_contact(call.caller_ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                   std::string(call.caller_ok.to()->text), "caller-call-1@192.0.2.9", cseq,
                   "z9hG4bKref" + std::to_string(cseq), "192.0.2.9:5070",
                   "Refer-To: <" + target + "?Replaces=" + sip::escape(replaces, sip::UriComponent::header) +
                       ">\r\nContact: <sip:alice@192.0.2.9:5070>\r\n"),
         kAlice);
  }
  // An INVITE from `from` (the carrier's address by default) to `uri`.
  static std::string trunk_invite(const std::string& uri, const std::string& call_id,
                                  const std::string& extra = {},
                                  const std::string& via_host = "192.0.2.50:5060") {
    const std::string token = call_id.substr(0, call_id.find('@'));  // a branch and tag of its own
    return "INVITE " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP " + via_host + ";branch=z9hG4bK" + token +
           "\r\nMax-Forwards: 70\r\nFrom: <sip:+15551230000@carrier.example>;tag=t-" + token + "\r\nTo: <" +
           uri + ">\r\nCall-ID: " + call_id + "\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@" + via_host + ">\r\n" +
           extra + "Content-Length: 0\r\n\r\n";
  }
  // Alice, in a call with the carrier, transfers it to her consultation call with bob (a dialog
  // the proxy carries); the REFER the carrier got.
  std::optional<sip::Message> carrier_refer_for_consultation() {
    auto call = answered_call();
    alice_acks(call.caller_ok);
    alice_refers(call, "sip:bob@example.com", "consult-1@192.0.2.9;to-tag=bob-c;from-tag=alice-c");
    auto refers = requests_to(kCarrier, sip::Method::refer);
    if (refers.size() != 1) return std::nullopt;
    return std::move(refers[0]);
  }
  static std::string refer_to_uri(const std::optional<sip::Message>& refer) {
    const std::string refer_to(refer ? refer->first_value(sip::HeaderId::refer_to).value_or("<>") : "<>");
    return refer_to.substr(1, refer_to.size() - 2);
  }
  // Alice's second call to the same number (Call-ID caller-call-2).
  void alice_calls_again() {
    std::string invite = alice_invite();
    invite.replace(invite.find("caller-call-1"), 13, "caller-call-2");
    invite.replace(invite.find("z9hG4bKalice1"), 13, "z9hG4bKalice2");
    feed(invite, kAlice);
  }
  // The Replaces (unescaped) in a Refer-To value.
  static std::string embedded_replaces(const std::string& refer_to) {
    auto parsed = sip::parse_refer_to(refer_to);
    if (!parsed) return {};
    return sip::uri_header(parsed->uri, "Replaces").value_or(std::string());
  }
};

TEST_F(B2buaTransferTest, AConsultationCallThroughTheProxyIsKeptBehindAToken) {
  // Alice consulted bob through the proxy (the dialog is the phones' own); she transfers the
  // carrier to it. The carrier learns nothing of that dialog: a token at osprey.
  const std::optional<sip::Message> refer = carrier_refer_for_consultation();
  ASSERT_TRUE(refer);
  const std::string token_uri = refer_to_uri(refer);
  ASSERT_TRUE(token_uri.starts_with("sip:b2x.")) << token_uri;
  EXPECT_TRUE(token_uri.ends_with("@127.0.0.1:5060")) << token_uri;
  const std::string raw = refer->serialize();
  for (const char* leak : {"consult-1", "bob-c", "alice-c", "192.0.2.9", "bob"})
    EXPECT_EQ(raw.find(leak), std::string::npos) << leak << " in " << raw;
  // The carrier's INVITE to that URI reaches bob with the Replaces in bob's own terms.
  feed(trunk_invite(token_uri, "xfer-1@carrier.example"), kCarrier);
  auto invites = requests_to(kBob, sip::Method::invite);
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_EQ(invites[0].request_uri().text, "sip:bob@198.51.100.7:5062");
  EXPECT_EQ(invites[0].first_value(sip::HeaderId::replaces),
            "consult-1@192.0.2.9;to-tag=bob-c;from-tag=alice-c");
  EXPECT_EQ(invites[0].serialize().find("b2x."), std::string::npos);
  // Once only: a replay of the token is Not Found, and nothing reaches bob.
  feed(trunk_invite(token_uri, "xfer-2@carrier.example"), kCarrier);
  EXPECT_EQ(responses_to(kCarrier, 404).size(), 1u);
  EXPECT_EQ(requests_to(kBob, sip::Method::invite).size(), 1u);
}

TEST_F(B2buaTransferTest, ATokenIsOnlyForTheTrunkItWasGivenTo) {
  SbcSettings sbc = settings();
  const std::vector<std::string> sources{"192.0.2.51/32"};
  sbc.trunks[1].sources = *security::AddressSet::parse(sources);
  b2bua_.reload(sbc);
  const std::string token_uri = refer_to_uri(carrier_refer_for_consultation());
  ASSERT_TRUE(token_uri.starts_with("sip:b2x.")) << token_uri;
  // The other trunk presents it: refused, and the token is not spent.
  feed(trunk_invite(token_uri, "stolen@backup.example", {}, "192.0.2.51:5060"), kBackup);
  EXPECT_EQ(responses_to(kBackup, 403).size(), 1u);
  EXPECT_EQ(requests_to(kBob, sip::Method::invite).size(), 0u);
  // A token never issued: Not Found.
  feed(trunk_invite("sip:b2x.0123456789abcdef0123456789abcdef@127.0.0.1:5060", "guess@carrier.example"),
       kCarrier);
  EXPECT_EQ(responses_to(kCarrier, 404).size(), 1u);
  feed(trunk_invite(token_uri, "xfer-1@carrier.example"), kCarrier);
  EXPECT_EQ(requests_to(kBob, sip::Method::invite).size(), 1u);
}

TEST_F(B2buaTransferTest, AReplacesFromTheTrunkNamingItsOwnLegReachesTheUserInTheirTerms) {
  // The carrier calls bob, who answers.
  feed(trunk_invite("sip:bob@example.com", "b-1@carrier.example"), kCarrier);
  auto first = requests_to(kBob, sip::Method::invite);
  ASSERT_EQ(first.size(), 1u);
  feed(answer(first[0], 200, {}, "bob-tag", "sip:bob@198.51.100.7:5062"), kBob);
  auto oks = responses_to(kCarrier, 200);
  ASSERT_EQ(oks.size(), 1u);
  const std::string osprey_trunk_tag(oks[0].to()->tag());
  // A new INVITE of the carrier to bob replacing that call names the carrier's own dialog with
  // osprey (RFC 3891 §3: to-tag is the receiver's, osprey's); bob gets his leg in his terms.
  feed(trunk_invite("sip:bob@example.com", "r-1@carrier.example",
                    "Replaces: b-1@carrier.example;to-tag=" + osprey_trunk_tag + ";from-tag=t-b-1\r\n"),
       kCarrier);
  auto invites = requests_to(kBob, sip::Method::invite);
  ASSERT_EQ(invites.size(), 2u);
  EXPECT_EQ(
      invites[1].first_value(sip::HeaderId::replaces),
      std::string(*first[0].call_id()) + ";to-tag=bob-tag;from-tag=" + std::string(first[0].from()->tag()));
  EXPECT_EQ(invites[1].serialize().find("carrier.example"), std::string::npos);
}

TEST_F(B2buaTransferTest, AReplacesFromTheTrunkNamesOnlyItsOwnDialogsWithTheUserItCalls) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  const std::string trunk_call_id(*call.callee_invite.call_id());
  const std::string osprey_trunk_tag(call.callee_invite.from()->tag());
  const std::string osprey_alice_tag(call.caller_ok.to()->tag());
  // RFC 3891 §8: the carrier may not name alice's leg (its peer is alice), nor a dialog that
  // does not exist; and its own leg of alice's call is not bob's to replace (he would only learn
  // alice's ids): 481 each time, and nothing reaches bob.
  feed(trunk_invite("sip:bob@example.com", "r-2@carrier.example",
                    "Replaces: caller-call-1@192.0.2.9;to-tag=" + osprey_alice_tag + ";from-tag=a1\r\n"),
       kCarrier);
  feed(
      trunk_invite("sip:bob@example.com", "r-3@carrier.example", "Replaces: nothing;to-tag=x;from-tag=y\r\n"),
      kCarrier);
  feed(
      trunk_invite("sip:bob@example.com", "r-4@carrier.example",
                   "Replaces: " + trunk_call_id + ";to-tag=" + osprey_trunk_tag + ";from-tag=callee-tag\r\n"),
      kCarrier);
  EXPECT_EQ(responses_to(kCarrier, 481).size(), 3u);
  EXPECT_EQ(requests_to(kBob, sip::Method::invite).size(), 0u);
}

TEST_F(B2buaTransferTest, APhoneMayNameOnlyItsOwnDialogs) {
  auto call = answered_call();
  alice_acks(call.caller_ok);
  // Alice names the carrier's leg of her own call (its peer is the carrier, not her): 403.
  const std::string trunk_call_id(*call.callee_invite.call_id());
  const std::string osprey_trunk_tag(call.callee_invite.from()->tag());
  alice_refers(call, "sip:bob@example.com",
               trunk_call_id + ";to-tag=" + osprey_trunk_tag + ";from-tag=callee-tag");
  EXPECT_EQ(responses_to(kAlice, 403).size(), 1u);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::refer).size(), 0u);
  // And a dialog of the proxy's is only kept for a target that is one of our users.
  alice_refers(call, "sip:eve@elsewhere.example", "consult-1;to-tag=x;from-tag=y", 12);
  EXPECT_EQ(responses_to(kAlice, 403).size(), 2u);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::refer).size(), 0u);
}

TEST_F(B2buaTransferTest, TwoCallsToTheSameTrunkAreJoinedAtTheTrunk) {
  // Alice has two calls with the carrier (A, then B) and transfers A to B: the carrier is told
  // to call its own Contact of call B, with a Replaces in its terms (no transit through osprey).
  auto first = answered_call();
  alice_acks(first.caller_ok);
  alice_calls_again();
  auto invites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(invites.size(), 2u);
  feed(answer(invites[1], 200, {}, "callee-tag-b", "sip:gw-b@192.0.2.50:5060"), kCarrier);
  auto oks = responses_to(kAlice, 200);
  ASSERT_EQ(oks.size(), 2u);
  const std::string osprey_b_tag(oks[1].to()->tag());
  alice_refers(first, "sip:+442071234567@example.com",
               "caller-call-2@192.0.2.9;to-tag=" + osprey_b_tag + ";from-tag=a1");
  auto refers = requests_to(kCarrier, sip::Method::refer);
  ASSERT_EQ(refers.size(), 1u);
  const std::string refer_to(*refers[0].first_value(sip::HeaderId::refer_to));
  EXPECT_TRUE(refer_to.starts_with("<sip:gw-b@192.0.2.50:5060?")) << refer_to;
  EXPECT_EQ(embedded_replaces(refer_to),
            std::string(*invites[1].call_id()) +
                ";to-tag=callee-tag-b;from-tag=" + std::string(invites[1].from()->tag()));
  EXPECT_EQ(refers[0].serialize().find("caller-call"), std::string::npos);
}

TEST_F(B2buaTransferTest, CallsOnTwoTrunksAreNotJoinedThroughOsprey) {
  // Alice's first call is with the carrier; her second fails over to the backup trunk. Joining
  // them would make one trunk call the other through osprey (transit): 403, nothing sent.
  auto first = answered_call();
  alice_acks(first.caller_ok);
  alice_calls_again();
  auto invites = requests_to(kCarrier, sip::Method::invite);
  ASSERT_EQ(invites.size(), 2u);
  feed(answer(invites[1], 503), kCarrier);
  auto backup = requests_to(kBackup, sip::Method::invite);
  ASSERT_EQ(backup.size(), 1u);
  feed(answer(backup[0], 200, {}, "backup-tag", "sip:b@192.0.2.51"), kBackup);
  auto oks = responses_to(kAlice, 200);
  ASSERT_EQ(oks.size(), 2u);
  alice_refers(first, "sip:+442071234567@example.com",
               "caller-call-2@192.0.2.9;to-tag=" + std::string(oks[1].to()->tag()) + ";from-tag=a1");
  EXPECT_EQ(responses_to(kAlice, 403).size(), 1u);
  EXPECT_EQ(requests_to(kCarrier, sip::Method::refer).size(), 0u);
}

TEST_F(B2buaTransferTest, ACallOnAnotherWorkerIsFoundThroughTheSharedIndex) {
  TransferIndex shared;
  b2bua_.set_transfer_index(&shared);
  // Worker 1, with its own transaction table, shares the index.
  RecordingTransport transport1;
  B2buaUser user1;
  txn::TransactionTable table1(transport1, user1, {}, start_);
  B2bua worker1(
      1, settings(), table1, transport1, identity_,
      [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); },
      UserLocation{.location = &store_,
                   .clock = [] { return std::int64_t{1'800'000'000}; },
                   .connection_open = {},
                   .is_local_user = {}});
  worker1.set_transfer_index(&shared);
  table1.set_options(
      {.reject_merged_requests = false, .forward_unmatched_cancels = true, .branch_prefix = "w1."});
  user1.b2bua = &worker1;
  user1.identity = &identity_;
  user1.table = &table1;
  const auto feed1 = [&](const std::string& text, const net::Endpoint& from) {
    auto message = sip::Message::parse(text);
    ASSERT_TRUE(message) << text;
    const net::Flow flow{net::Protocol::udp, from, RecordingTransport::local(), 0};
    if (message->is_request()) txn::stamp_received(*message, flow);
    table1.receive(std::move(*message), flow);
  };
  const auto sent1 = [&](const net::Endpoint& to, sip::Method method) {
    std::vector<sip::Message> found;
    for (std::size_t i = 0; i < transport1.sent.size(); ++i) {
      auto message = transport1.parsed(i);
      if (message && transport1.sent[i].to == to && message->is_request() && message->method() == method)
        found.push_back(std::move(*message));
    }
    return found;
  };
  // Call A on worker 0: alice and the carrier.
  auto call = answered_call();
  alice_acks(call.caller_ok);
  // Call B on worker 1: the carrier calls bob, who answers.
  feed1(trunk_invite("sip:bob@example.com", "b-1@carrier.example"), kCarrier);
  auto bob_invites = sent1(kBob, sip::Method::invite);
  ASSERT_EQ(bob_invites.size(), 1u);
  feed1(answer(bob_invites[0], 200, {}, "bob-tag", "sip:bob@198.51.100.7:5062"), kBob);
  std::optional<sip::Message> carrier_ok;
  for (std::size_t i = 0; i < transport1.sent.size(); ++i) {
    auto message = transport1.parsed(i);
    if (message && message->is_response() && message->status() == 200) carrier_ok = std::move(*message);
  }
  ASSERT_TRUE(carrier_ok);
  EXPECT_EQ(shared.dialog_count(), 4u);
  // The carrier transfers bob to alice (RFC 5589 §7.2): its REFER on call B names its leg of
  // call A. Bob is told to call alice at osprey with a Replaces in alice's terms.
  const std::string trunk_call_id(*call.callee_invite.call_id());
  const std::string osprey_trunk_tag(call.callee_invite.from()->tag());
  feed1(in_dialog("REFER", uri_of_contact(*carrier_ok), "<sip:+15551230000@carrier.example>;tag=t-b-1",
                  std::string(carrier_ok->to()->text), "b-1@carrier.example", 2, "z9hG4bKcref",
                  "192.0.2.50:5060",
                  "Refer-To: <sip:x@carrier.example?Replaces=" +
                      sip::escape(trunk_call_id + ";to-tag=" + osprey_trunk_tag + ";from-tag=callee-tag",
                                  sip::UriComponent::header) +
                      ">\r\nContact: <sip:gw@192.0.2.50:5060>\r\n"),
        kCarrier);
  auto refers = sent1(kBob, sip::Method::refer);
  ASSERT_EQ(refers.size(), 1u);
  const std::string refer_to(*refers[0].first_value(sip::HeaderId::refer_to));
  EXPECT_TRUE(refer_to.starts_with("<sip:alice@127.0.0.1:5060?")) << refer_to;
  EXPECT_EQ(embedded_replaces(refer_to),
            "caller-call-1@192.0.2.9;to-tag=a1;from-tag=" + std::string(call.caller_ok.to()->tag()));
  EXPECT_EQ(refers[0].serialize().find(trunk_call_id), std::string::npos);
  // Released calls leave the index.
  feed(in_dialog("BYE", uri_of_contact(call.caller_ok), "\"Alice\" <sip:alice@example.com>;tag=a1",
                 std::string(call.caller_ok.to()->text), "caller-call-1@192.0.2.9", 20, "z9hG4bKbye",
                 "192.0.2.9:5070"),
       kAlice);
  EXPECT_EQ(shared.dialog_count(), 2u);
}

}  // namespace
}  // namespace osprey::sbc
