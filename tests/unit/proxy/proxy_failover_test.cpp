// RFC 3263 §4.3 and RFC 3261 §16.5 / §16.7: a target whose name resolves to several addresses
// is tried address after address (transport error, timeout, 503), with the destinations that
// failed a moment ago last; and the Contacts of a 3xx join the target set, judged as any target.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/destination_blocklist.hpp"
#include "proxy/proxy_core.hpp"
#include "recording_transport.hpp"
#include "security/dial_policy.hpp"
#include "sip/builder.hpp"
#include "sip/message.hpp"
#include "store/memory_location_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

using osprey::testing::endpoint;
using osprey::testing::RecordingTransport;

class ProxyUser : public txn::TransactionUser {
 public:
  ProxyCore* proxy = nullptr;
  Originator originator;
  void on_request(txn::ServerTransactionId t, const sip::Message& request, const net::Flow& flow) override {
    proxy->handle_request(t, request, flow, originator);
  }
  void on_ack(const sip::Message& ack, const net::Flow& flow) override { proxy->on_ack(ack, flow); }
  void on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel) override {
    proxy->on_cancel(invite, cancel);
  }
  void on_response(txn::ClientTransactionId t, const sip::Message& response) override {
    proxy->on_response(t, response);
  }
  void on_client_failure(txn::ClientTransactionId t, int status) override {
    proxy->on_client_failure(t, status);
  }
  void on_stray_response(const sip::Message& response, const net::Flow& flow) override {
    proxy->on_stray_response(response, flow);
  }
};

const net::Endpoint kFirst = endpoint("192.0.2.41", 5060);
const net::Endpoint kSecond = endpoint("192.0.2.42", 5060);
const net::Endpoint kThird = endpoint("192.0.2.43", 5060);
const net::Endpoint kAlice = endpoint("192.0.2.9", 5070);

class ProxyFailoverTest : public ::testing::Test {
 protected:
  ProxyFailoverTest()
      : table_(transport_, user_, {}, start_),
        blocklist_({}, [this] { return blocklist_now_; }),
        proxy_(
            table_, transport_, store_, net::LocalIdentity({"example.com"}), [] { return kNow; },
            [this] { return "tag" + std::to_string(++tags_); },
            [this](const sip::Uri& uri, net::ResolveCallback done) { resolve(uri, std::move(done)); }) {
    user_.proxy = &proxy_;
    proxy_.identity().add_listener(net::Protocol::udp, endpoint("127.0.0.1", 5060));
    table_.set_options(
        {.reject_merged_requests = false, .forward_unmatched_cancels = true, .branch_prefix = "w0."});
    // carrier.test has three addresses, in RFC 3263 order.
    names_["carrier.test"] = {kFirst, kSecond, kThird};
    attach();
  }

  void attach(RedirectSettings redirects = {}, std::string gateway = {}) {
    ProxyServices services;
    services.blocklist = &blocklist_;
    services.redirects = redirects;
    services.gateway = std::move(gateway);
    services.dial_policy = &dial_policy_;
    proxy_.attach(services);
  }

  // The resolver: a name's addresses, over the URI's transport, at once (as the real one posts).
  void resolve(const sip::Uri& uri, net::ResolveCallback done) {
    auto it = names_.find(std::string(uri.host));
    if (it == names_.end()) {
      done(tl::unexpected(std::string("no such name")));
      return;
    }
    net::ResolvedTarget target;
    const auto from_uri = net::target_of(uri);
    const net::Protocol protocol = from_uri ? from_uri->protocol : net::Protocol::udp;
    for (const net::Endpoint& at : it->second) target.hops.push_back({protocol, at});
    ++resolutions_;
    done(std::move(target));
  }

  static std::string request_text(const std::string& method, const std::string& uri,
                                  const std::string& branch = "z9hG4bKup1") {
    return method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=" + branch +
           "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f1\r\nTo: <" + uri +
           ">\r\nCall-ID: call-" + branch + "\r\nCSeq: 1 " + method +
           "\r\nContact: <sip:alice@192.0.2.9:5070>\r\nContent-Length: 0\r\n\r\n";
  }
  void feed(const std::string& text, const net::Endpoint& from) {
    auto message = sip::Message::parse(text);
    ASSERT_TRUE(message) << text;
    if (message->is_request())
      txn::stamp_received(*message, {net::Protocol::udp, from, RecordingTransport::local(), 0});
    table_.receive(std::move(*message), {net::Protocol::udp, from, RecordingTransport::local(), 0});
  }
  void from_alice(const std::string& text) { feed(text, kAlice); }
  void invite_carrier(const std::string& branch = "z9hG4bKup1") {
    from_alice(request_text("INVITE", "sip:bob@carrier.test", branch));
  }

  // The answer to sent message `index`, with `extra` header lines.
  std::string answer(std::size_t index, int status, const std::string& extra = {}) {
    auto request = sip::Message::parse(transport_.sent.at(index).bytes);
    EXPECT_TRUE(request);
    auto builder = sip::MessageBuilder::response_to(*request, status, {}, status == 100 ? "" : "callee");
    std::string text = builder.serialize();
    if (!extra.empty()) text.insert(text.find("Content-Length"), extra);
    return text;
  }
  void answer_from(std::size_t index, int status, const std::string& extra = {}) {
    feed(answer(index, status, extra), transport_.sent.at(index).to);
  }

  std::vector<std::size_t> sent_starting(const std::string& prefix) const {
    std::vector<std::size_t> result;
    for (std::size_t i = 0; i < transport_.sent.size(); ++i)
      if (transport_.sent[i].bytes.rfind(prefix, 0) == 0) result.push_back(i);
    return result;
  }
  // Where the INVITEs went, a retransmission (Timer A) not counted again.
  std::vector<net::Endpoint> destinations(const std::string& method = "INVITE") const {
    std::vector<net::Endpoint> to;
    for (std::size_t i : sent_starting(method + " "))
      if (to.empty() || to.back() != transport_.sent[i].to) to.push_back(transport_.sent[i].to);
    return to;
  }
  std::vector<net::Endpoint> invite_destinations() const { return destinations(); }
  std::size_t last_invite() const { return sent_starting("INVITE ").back(); }
  std::vector<int> upstream_finals() {
    std::vector<int> statuses;
    for (std::size_t i = 0; i < transport_.sent.size(); ++i) {
      if (transport_.sent[i].to != kAlice || transport_.sent[i].bytes.rfind("SIP/2.0 ", 0) != 0) continue;
      auto message = sip::Message::parse(transport_.sent[i].bytes);
      if (message && message->status() >= 200 && message->cseq() &&
          message->cseq()->method != sip::Method::cancel)
        statuses.push_back(message->status());
    }
    return statuses;
  }

  static security::DialPolicyConfig no_international() {
    security::DialPolicyConfig config;  // the defaults: international numbers denied
    return config;
  }

  txn::TimePoint start_ = txn::Clock::now();
  RecordingTransport transport_;
  ProxyUser user_;
  store::MemoryLocationStore store_;
  txn::TransactionTable table_;
  std::int64_t blocklist_now_ = 5000;
  net::DestinationBlocklist blocklist_;
  security::DialPolicy dial_policy_{no_international()};
  int tags_ = 0;
  int resolutions_ = 0;
  std::map<std::string, std::vector<net::Endpoint>> names_;
  ProxyCore proxy_;
};

TEST_F(ProxyFailoverTest, ATransportErrorPassesTheBranchToTheNextAddress) {
  transport_.unreachable = {kFirst};
  invite_carrier();
  EXPECT_EQ(invite_destinations(), std::vector<net::Endpoint>{kSecond});
  EXPECT_TRUE(upstream_finals().empty());
  answer_from(last_invite(), 200);
  EXPECT_EQ(upstream_finals(), std::vector<int>{200});
  EXPECT_TRUE(blocklist_.contains(net::Protocol::udp, kFirst));
  EXPECT_EQ(proxy_.counters().next_address_after_failure, 1u);
}

TEST_F(ProxyFailoverTest, ATimeoutWithoutAnyAnswerPassesTheBranchToTheNextAddress) {
  invite_carrier();
  ASSERT_EQ(invite_destinations().front(), kFirst);
  table_.advance(start_ + std::chrono::seconds(40));  // Timer B (64*T1): the first never answered
  const auto to = invite_destinations();
  ASSERT_FALSE(to.empty());
  EXPECT_EQ(to.back(), kSecond);
  EXPECT_TRUE(upstream_finals().empty());  // no 408 upstream: the branch goes on
  answer_from(last_invite(), 180);
  answer_from(last_invite(), 200);
  EXPECT_EQ(upstream_finals(), std::vector<int>{200});
  EXPECT_TRUE(blocklist_.contains(net::Protocol::udp, kFirst));
}

TEST_F(ProxyFailoverTest, AHopThatAnsweredAndThenTimedOutIsNotTriedAgainElsewhere) {
  from_alice(request_text("MESSAGE", "sip:bob@carrier.test"));
  answer_from(0, 100);                                // alive: the request may be under way there
  table_.advance(start_ + std::chrono::seconds(40));  // Timer F
  EXPECT_EQ(destinations("MESSAGE"), std::vector<net::Endpoint>{kFirst});
  EXPECT_FALSE(blocklist_.contains(net::Protocol::udp, kFirst));
  // One that never answered is passed over.
  from_alice(request_text("MESSAGE", "sip:bob@carrier.test", "z9hG4bKup2"));
  table_.advance(start_ + std::chrono::seconds(80));
  EXPECT_EQ(destinations("MESSAGE").back(), kSecond);
}

TEST_F(ProxyFailoverTest, AConnectionLostAfterAnAnswerIsNotTriedElsewhere) {
  // Over TCP: the first address answers 180 (ringing), then its connection drops.
  names_["carrier.test"] = {kFirst, kSecond};
  from_alice(request_text("INVITE", "sip:bob@carrier.test;transport=tcp"));
  ASSERT_EQ(invite_destinations(), std::vector<net::Endpoint>{kFirst});
  answer_from(0, 180);
  table_.on_connection_closed(transport_.last_connection);
  EXPECT_EQ(invite_destinations(), std::vector<net::Endpoint>{kFirst});  // it may be ringing there
  EXPECT_EQ(upstream_finals(), std::vector<int>{500});
  // Before any answer, the same loss moves on (the first, which just failed, is now tried last).
  from_alice(request_text("INVITE", "sip:bob@carrier.test;transport=tcp", "z9hG4bKup2"));
  ASSERT_EQ(invite_destinations().back(), kSecond);
  table_.on_connection_closed(transport_.last_connection);
  EXPECT_EQ(invite_destinations().back(), kFirst);
}

TEST_F(ProxyFailoverTest, A503PassesTheBranchToTheNextAddressAndTheAckStaysWithTheFirst) {
  invite_carrier();
  answer_from(0, 503);
  // §17.1.1.3: the ACK of the 503 goes where that INVITE went; the INVITE goes on to the next.
  const auto acks = sent_starting("ACK ");
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(transport_.sent[acks[0]].to, kFirst);
  EXPECT_EQ(invite_destinations(), (std::vector<net::Endpoint>{kFirst, kSecond}));
  // A new client transaction: a Via branch of its own.
  auto first = sip::Message::parse(transport_.sent[0].bytes);
  auto second = sip::Message::parse(transport_.sent[last_invite()].bytes);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->top_via()->branch, second->top_via()->branch);
  answer_from(last_invite(), 486);
  EXPECT_EQ(upstream_finals(), std::vector<int>{486});
  // No Retry-After: the first is not remembered as down.
  EXPECT_FALSE(blocklist_.contains(net::Protocol::udp, kFirst));
}

TEST_F(ProxyFailoverTest, WhenEveryAddressFailsTheBestResponseGoesUpstream) {
  transport_.unreachable = {kThird};
  invite_carrier();
  answer_from(0, 503);
  EXPECT_TRUE(upstream_finals().empty());  // the second is still to try
  answer_from(last_invite(), 403);         // final for the branch: 403 is no reason to move on
  EXPECT_EQ(invite_destinations(), (std::vector<net::Endpoint>{kFirst, kSecond}));
  EXPECT_EQ(upstream_finals(), std::vector<int>{403});  // §16.7 step 6: 4xx before 5xx
  EXPECT_EQ(proxy_.active_requests(), 0u);
  // A 503, then an address that cannot be reached: the 503 a hop sent is what remains (as 500).
  from_alice(request_text("INVITE", "sip:bob@carrier.test", "z9hG4bKup2"));
  answer_from(last_invite(), 503);
  answer_from(last_invite(), 503);
  EXPECT_EQ(invite_destinations().size(), 4u);  // the third was never reached
  EXPECT_EQ(upstream_finals(), (std::vector<int>{403, 500}));
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyFailoverTest, EveryAddressAnswering503Gives500Upstream) {
  names_["carrier.test"] = {kFirst, kSecond};
  invite_carrier();
  answer_from(0, 503);
  answer_from(last_invite(), 503);
  EXPECT_EQ(upstream_finals(), std::vector<int>{500});
}

TEST_F(ProxyFailoverTest, ABusyOrUnknownAnswerIsFinalForTheBranch) {
  invite_carrier();
  answer_from(0, 486);
  EXPECT_EQ(invite_destinations(), std::vector<net::Endpoint>{kFirst});
  EXPECT_EQ(upstream_finals(), std::vector<int>{486});
  from_alice(request_text("INVITE", "sip:bob@carrier.test", "z9hG4bKup2"));
  answer_from(last_invite(), 404);
  EXPECT_EQ(sent_starting("INVITE ").size(), 2u);
  EXPECT_EQ(upstream_finals(), (std::vector<int>{486, 404}));
}

TEST_F(ProxyFailoverTest, CancelGoesToTheAddressTheBranchIsAt) {
  invite_carrier();
  answer_from(0, 503);
  answer_from(last_invite(), 180);
  from_alice(request_text("CANCEL", "sip:bob@carrier.test"));
  const auto cancels = sent_starting("CANCEL ");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(transport_.sent[cancels[0]].to, kSecond);
  answer_from(last_invite(), 487);
  EXPECT_EQ(upstream_finals(), std::vector<int>{487});
}

TEST_F(ProxyFailoverTest, NoNewAddressIsTriedOnceTheRequestIsCancelled) {
  invite_carrier();
  answer_from(0, 503);
  ASSERT_EQ(invite_destinations().size(), 2u);
  from_alice(request_text("CANCEL", "sip:bob@carrier.test"));  // held: no provisional yet (§9.1)
  answer_from(last_invite(), 503);
  EXPECT_EQ(invite_destinations().size(), 2u);  // the third is never tried
  EXPECT_EQ(upstream_finals(), std::vector<int>{487});
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyFailoverTest, AnAddressThatFailedAMomentAgoIsTriedLast) {
  blocklist_.failed(net::Protocol::udp, kFirst);
  invite_carrier();
  EXPECT_EQ(invite_destinations(), std::vector<net::Endpoint>{kSecond});
  answer_from(last_invite(), 503);
  answer_from(last_invite(), 503);
  // Still tried when nothing else is left.
  EXPECT_EQ(invite_destinations(), (std::vector<net::Endpoint>{kSecond, kThird, kFirst}));
  // Once its listing ran out, it is first again.
  blocklist_now_ += 61;
  from_alice(request_text("INVITE", "sip:bob@carrier.test", "z9hG4bKup2"));
  EXPECT_EQ(invite_destinations().back(), kFirst);
}

TEST_F(ProxyFailoverTest, A503WithRetryAfterKeepsTheAddressLastForThatLong) {
  invite_carrier();
  answer_from(0, 503, "Retry-After: 120\r\n");
  EXPECT_TRUE(blocklist_.contains(net::Protocol::udp, kFirst));
  blocklist_now_ += 119;
  from_alice(request_text("INVITE", "sip:bob@carrier.test", "z9hG4bKup2"));
  EXPECT_EQ(invite_destinations().back(), kSecond);
  blocklist_now_ += 1;
  from_alice(request_text("INVITE", "sip:bob@carrier.test", "z9hG4bKup3"));
  EXPECT_EQ(invite_destinations().back(), kFirst);
}

TEST_F(ProxyFailoverTest, EveryAddressOfTheTargetIsJudgedForTheGateway) {
  // The second address of the name is the gateway's: a request not cleared for it never gets
  // there by failing over.
  attach({}, "sip:192.0.2.42:5060");
  user_.originator.may_reach_gateway = false;
  invite_carrier();
  answer_from(0, 503);
  EXPECT_EQ(invite_destinations(), (std::vector<net::Endpoint>{kFirst, kThird}));
}

TEST_F(ProxyFailoverTest, ANameWithManyAddressesHoldsTheBranchForAFewOnly) {
  std::vector<net::Endpoint> many;
  for (int i = 1; i <= 40; ++i) many.push_back(endpoint(("198.51.100." + std::to_string(i)).c_str(), 5060));
  names_["carrier.test"] = many;
  invite_carrier();
  for (int i = 0; i < 40 && upstream_finals().empty(); ++i) answer_from(last_invite(), 503);
  EXPECT_EQ(invite_destinations().size(), ProxyCore::kMaxHopsPerTarget);
  EXPECT_EQ(upstream_finals(), std::vector<int>{500});
}

// §16.5 / §16.7 step 4: recursion on 3xx.

TEST_F(ProxyFailoverTest, AContactOfA3xxJoinsTheTargetSet) {
  names_["carrier.test"] = {kFirst};
  invite_carrier();
  answer_from(0, 302, "Contact: <sip:bob@198.51.100.7:5070>\r\n");
  ASSERT_EQ(invite_destinations(), (std::vector<net::Endpoint>{kFirst, endpoint("198.51.100.7", 5070)}));
  auto redirected = sip::Message::parse(transport_.sent[last_invite()].bytes);
  ASSERT_TRUE(redirected);
  EXPECT_EQ(redirected->request_uri().text, "sip:bob@198.51.100.7:5070");
  EXPECT_TRUE(upstream_finals().empty());  // the 302 is not passed on
  answer_from(last_invite(), 200);
  EXPECT_EQ(upstream_finals(), std::vector<int>{200});
  EXPECT_EQ(proxy_.counters().redirect_targets_added, 1u);
}

TEST_F(ProxyFailoverTest, WithoutRecursionThe3xxGoesUpstream) {
  names_["carrier.test"] = {kFirst};
  attach({.recurse = false});
  invite_carrier();
  answer_from(0, 302, "Contact: <sip:bob@198.51.100.7:5070>\r\n");
  EXPECT_EQ(invite_destinations().size(), 1u);
  EXPECT_EQ(upstream_finals(), std::vector<int>{302});
  attach({.recurse = true});
  from_alice(request_text("INVITE", "sip:bob@carrier.test", "z9hG4bKup2"));
  answer_from(last_invite(), 302, "Contact: <sip:bob@198.51.100.7:5070>\r\n");
  EXPECT_EQ(invite_destinations().back(), endpoint("198.51.100.7", 5070));
}

TEST_F(ProxyFailoverTest, A3xxToANumberTheDialPolicyRefusesIsNotFollowed) {
  names_["carrier.test"] = {kFirst};
  user_.originator.asserted_identity = "sip:alice@example.com";
  invite_carrier();
  answer_from(0, 302, "Contact: <sip:+4490012345@198.51.100.7>\r\n");
  EXPECT_EQ(invite_destinations().size(), 1u);
  EXPECT_EQ(upstream_finals(), std::vector<int>{302});
  // A national number the policy allows is followed.
  from_alice(request_text("INVITE", "sip:bob@carrier.test", "z9hG4bKup2"));
  answer_from(last_invite(), 302, "Contact: <sip:0201234567@198.51.100.7>\r\n");
  EXPECT_EQ(invite_destinations().back(), endpoint("198.51.100.7", 5060));
}

TEST_F(ProxyFailoverTest, A3xxNeverLeadsToTheGatewayWithoutAJudgedNumber) {
  names_["carrier.test"] = {kFirst};
  attach({}, "sip:198.51.100.80:5060");
  user_.originator.asserted_identity = "sip:alice@example.com";
  user_.originator.may_reach_gateway = true;  // the request itself was cleared
  invite_carrier();
  answer_from(0, 302, "Contact: <sip:anything@198.51.100.80>\r\n");
  for (const net::Endpoint& to : invite_destinations())
    EXPECT_NE(to.address, endpoint("198.51.100.80", 0).address);
  EXPECT_EQ(upstream_finals(), std::vector<int>{403});
}

TEST_F(ProxyFailoverTest, A3xxFromAPublicAddressNeverPointsIntoAPrivateNetwork) {
  names_["carrier.test"] = {kFirst};
  invite_carrier();
  answer_from(0, 302, "Contact: <sip:admin@10.0.0.5>, <sip:admin@127.0.0.1:5080>\r\n");
  EXPECT_EQ(invite_destinations().size(), 1u);
  EXPECT_EQ(upstream_finals(), std::vector<int>{403});
}

TEST_F(ProxyFailoverTest, A3xxToOurOwnDomainIsNotFollowed) {
  names_["carrier.test"] = {kFirst};
  invite_carrier();
  answer_from(0, 302, "Contact: <sip:carol@example.com>, <sip:carol@127.0.0.1:5060>\r\n");
  EXPECT_EQ(invite_destinations().size(), 1u);
  EXPECT_EQ(upstream_finals(), std::vector<int>{302});
  // The same 3xx with another domain's Contact as well: that one is followed.
  from_alice(request_text("INVITE", "sip:bob@carrier.test", "z9hG4bKup2"));
  answer_from(last_invite(), 302, "Contact: <sip:carol@example.com>, <sip:carol@198.51.100.9>\r\n");
  EXPECT_EQ(invite_destinations().back(), endpoint("198.51.100.9", 5060));
}

TEST_F(ProxyFailoverTest, AnUnauthenticatedRequestForOurUsersIsNeverRedirectedElsewhere) {
  names_["carrier.test"] = {kFirst};
  user_.originator.may_relay = false;
  invite_carrier();
  answer_from(0, 302, "Contact: <sip:bob@198.51.100.7:5070>\r\n");
  EXPECT_EQ(invite_destinations().size(), 1u);
  EXPECT_EQ(upstream_finals(), std::vector<int>{302});
  user_.originator.may_relay = true;  // authenticated, or a trusted peer
  from_alice(request_text("INVITE", "sip:bob@carrier.test", "z9hG4bKup2"));
  answer_from(last_invite(), 302, "Contact: <sip:bob@198.51.100.7:5070>\r\n");
  EXPECT_EQ(invite_destinations().back(), endpoint("198.51.100.7", 5070));
}

TEST_F(ProxyFailoverTest, RecursionIsBoundedPerRequest) {
  names_["carrier.test"] = {kFirst};
  attach({.recurse = true, .max_targets = 3});
  invite_carrier();
  // Each redirected target redirects again, to two new places each time.
  for (int round = 0; round < 6 && upstream_finals().empty(); ++round) {
    const std::size_t at = last_invite();
    const std::string a = "198.51.100." + std::to_string(10 + 2 * round);
    const std::string b = "198.51.100." + std::to_string(11 + 2 * round);
    answer_from(at, 302, "Contact: <sip:x@" + a + ">, <sip:x@" + b + ">\r\n");
    // Answer every other pending branch the same way.
    while (!upstream_finals().empty() == false && last_invite() != at) {
      const std::size_t next = last_invite();
      const std::string c = "198.51.100." + std::to_string(100 + static_cast<int>(next));
      answer_from(next, 302, "Contact: <sip:x@" + c + ">\r\n");
      if (last_invite() == next) break;
    }
  }
  // 1 original + at most 3 redirected targets.
  EXPECT_LE(invite_destinations().size(), 4u);
  EXPECT_EQ(proxy_.counters().redirect_targets_added, 3u);
}

TEST_F(ProxyFailoverTest, TheSameContactIsNotAddedTwice) {
  names_["carrier.test"] = {kFirst};
  invite_carrier();
  answer_from(0, 302, "Contact: <sip:bob@198.51.100.7:5070>, <sip:bob@198.51.100.7:5070>\r\n");
  EXPECT_EQ(invite_destinations().size(), 2u);
  answer_from(last_invite(), 302, "Contact: <sip:bob@198.51.100.7:5070>\r\n");
  EXPECT_EQ(invite_destinations().size(), 2u);  // already in the target set
  EXPECT_EQ(upstream_finals(), std::vector<int>{302});
}

}  // namespace
}  // namespace osprey::proxy
