#include "server/local_responder.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/proxy_core.hpp"
#include "sip/message.hpp"
#include "sip/validation.hpp"
#include "store/memory_location_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::server {
namespace {

// Records what the table sends; the responder is exercised through a real transaction table.
class RecordingTransport : public net::Transport {
 public:
  bool send(const net::Flow&, std::string_view bytes) override {
    sent.emplace_back(bytes);
    return true;
  }
  std::optional<net::Flow> send_to(net::Protocol protocol, const net::Endpoint& destination,
                                   std::string_view bytes, std::string_view, net::ConnectionReuse) override {
    sent.emplace_back(bytes);
    return net::Flow{protocol, destination, {}, 0};
  }
  std::optional<net::Endpoint> sent_by(net::Protocol, const net::Endpoint&) const override {
    return net::Endpoint{boost::asio::ip::make_address("127.0.0.1"), 5060};
  }
  std::vector<std::string> sent;
};

class LocalResponderTest : public ::testing::Test {
 protected:
  LocalResponderTest() : table_(transport_, responder_, {}, txn::Clock::now()) { responder_.attach(table_); }

  // Feeds one request and returns the single response it got.
  sip::Message answer_to(const std::string& method, const std::string& uri, const std::string& extra = "") {
    const std::string n = std::to_string(++count_);
    const std::string text = method + " " + uri + " SIP/2.0\r\n" +
                             "Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK" + method + n +
                             "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f1\r\n"
                             "To: <" +
                             uri + ">\r\nCall-ID: responder-" + n + "\r\nCSeq: 1 " + method + "\r\n" + extra +
                             "Content-Length: 0\r\n\r\n";
    auto request = sip::Message::parse(text);
    EXPECT_TRUE(request) << text;
    const std::size_t before = transport_.sent.size();
    net::Flow flow{net::Protocol::udp, {boost::asio::ip::make_address("192.0.2.9"), 5070}, {}, 0};
    table_.receive(std::move(*request), flow);
    EXPECT_EQ(transport_.sent.size(), before + 1);
    auto response = sip::Message::parse(transport_.sent.back());
    EXPECT_TRUE(response);
    return std::move(*response);
  }

  RecordingTransport transport_;
  LocalResponder responder_;
  txn::TransactionTable table_;
  int count_ = 0;
};

TEST_F(LocalResponderTest, OptionsGets200WithAllowAcceptSupported) {
  const sip::Message response = answer_to("OPTIONS", "sip:127.0.0.1:5060");
  EXPECT_EQ(response.status(), 200);
  // RFC 3261 §11.2: what osprey implements, as it is: outbound (RFC 5626) and Path (RFC
  // 3327) among the option tags, no body
  // formats of its own (an empty Accept, not the application/sdp an absent one implies),
  // unencoded bodies only, English reason phrases.
  EXPECT_EQ(response.first_value(sip::HeaderId::allow), LocalResponder::kAllow);
  EXPECT_EQ(response.count(sip::HeaderId::accept), 1u);
  EXPECT_EQ(response.first_value(sip::HeaderId::accept), "");
  EXPECT_EQ(response.first_value(sip::HeaderId::accept_encoding), "identity");
  EXPECT_EQ(response.first_value(sip::HeaderId::accept_language), "en");
  EXPECT_EQ(response.first_value(sip::HeaderId::supported), "outbound, path");
  EXPECT_TRUE(sip::validate_headers(response)) << response.raw();
  ASSERT_TRUE(response.to());
  EXPECT_FALSE(response.to()->tag().empty());  // §8.2.6.2
  EXPECT_EQ(responder_.counters().options_answered, 1u);
}

TEST_F(LocalResponderTest, RegisterGets501UntilTheRegistrarExists) {
  EXPECT_EQ(answer_to("REGISTER", "sip:127.0.0.1").status(), 501);
}

TEST_F(LocalResponderTest, InviteToAUserGets404) {
  EXPECT_EQ(answer_to("INVITE", "sip:bob@127.0.0.1").status(), 404);
  EXPECT_EQ(answer_to("MESSAGE", "sip:bob@127.0.0.1").status(), 404);
}

TEST_F(LocalResponderTest, UnknownMethodGets501WithAllow) {
  const sip::Message response = answer_to("FROBNICATE", "sip:127.0.0.1");
  EXPECT_EQ(response.status(), 501);
  EXPECT_EQ(response.first_value(sip::HeaderId::allow), LocalResponder::kAllow);
}

TEST_F(LocalResponderTest, UnsupportedRequireGets420WithUnsupported) {
  const sip::Message response = answer_to("OPTIONS", "sip:127.0.0.1", "Require: foo, bar\r\n");
  EXPECT_EQ(response.status(), 420);
  EXPECT_EQ(response.first_value(sip::HeaderId::unsupported), "foo, bar");
}

// RFC 3327: osprey supports Path, so a REGISTER (or anything addressed to osprey) that requires
// it is not refused; an unsupported tag beside it is the only one Unsupported names.
TEST_F(LocalResponderTest, RequirePathIsSupported) {
  EXPECT_EQ(answer_to("OPTIONS", "sip:127.0.0.1", "Require: path\r\n").status(), 200);
  EXPECT_EQ(answer_to("OPTIONS", "sip:127.0.0.1", "Require: outbound\r\n").status(), 200);  // RFC 5626
  EXPECT_EQ(answer_to("REGISTER", "sip:127.0.0.1", "Require: path\r\n").status(),
            501);  // no registrar: past §8.2.2
  const sip::Message response = answer_to("REGISTER", "sip:127.0.0.1", "Require: path, foo\r\n");
  EXPECT_EQ(response.status(), 420);
  EXPECT_EQ(response.first_value(sip::HeaderId::unsupported), "foo");
}

// RFC 3261 §8.2.1 comes before §8.2.2: an unknown method gets 501 even when it requires an
// extension osprey lacks.
TEST_F(LocalResponderTest, UnknownMethodGets501BeforeTheRequireCheck) {
  const sip::Message response = answer_to("FOO", "sip:127.0.0.1", "Require: foo\r\n");
  EXPECT_EQ(response.status(), 501);
  EXPECT_EQ(response.first_value(sip::HeaderId::allow), LocalResponder::kAllow);
}

TEST_F(LocalResponderTest, UnsupportedSchemeGets416) {
  EXPECT_EQ(answer_to("OPTIONS", "http://127.0.0.1/").status(), 416);
}

// With the proxy attached, requests for users go to it (RFC 3261 §16) instead of getting 404;
// OPTIONS addressed to osprey itself is still answered here.
class LocalResponderWithProxyTest : public LocalResponderTest {
 protected:
  LocalResponderWithProxyTest()
      : proxy_(
            table_, transport_, store_, net::LocalIdentity({"127.0.0.1"}), [] { return std::int64_t{0}; },
            [this] { return responder_.new_tag(); }) {
    proxy_.identity().add_listener(net::Protocol::udp, {boost::asio::ip::make_address("127.0.0.1"), 5060});
    responder_.attach_proxy(&proxy_);
  }
  store::MemoryLocationStore store_;
  proxy::ProxyCore proxy_;
};

TEST_F(LocalResponderWithProxyTest, RequestsForUsersGoToTheProxy) {
  EXPECT_EQ(answer_to("INVITE", "sip:bob@127.0.0.1").status(), 480);   // no binding (was 404)
  EXPECT_EQ(answer_to("MESSAGE", "sip:bob@127.0.0.1").status(), 480);  // (was 404)
  EXPECT_EQ(answer_to("OPTIONS", "sip:bob@127.0.0.1").status(), 480);  // a user's OPTIONS is proxied
  EXPECT_EQ(responder_.counters().proxied, 3u);
}

TEST_F(LocalResponderWithProxyTest, OptionsForOspreyIsAnsweredLocally) {
  EXPECT_EQ(answer_to("OPTIONS", "sip:127.0.0.1:5060").status(), 200);
  EXPECT_EQ(answer_to("OPTIONS", "sip:127.0.0.1").status(), 200);
  EXPECT_EQ(responder_.counters().options_answered, 2u);
  EXPECT_EQ(answer_to("FROBNICATE", "sip:127.0.0.1").status(), 501);  // addressed to osprey itself
}

TEST_F(LocalResponderWithProxyTest, ProxyChecksProxyRequire) {
  const sip::Message response = answer_to("INVITE", "sip:bob@127.0.0.1", "Proxy-Require: foo\r\n");
  EXPECT_EQ(response.status(), 420);
  EXPECT_EQ(response.first_value(sip::HeaderId::unsupported), "foo");  // §20.40
}

// §16.3: a proxy ignores Require (it is for the UAS), and forwards methods it does not know.
TEST_F(LocalResponderWithProxyTest, ProxyIgnoresRequireAndForwardsUnknownMethods) {
  EXPECT_EQ(answer_to("INVITE", "sip:bob@127.0.0.1", "Require: foo\r\n").status(), 480);  // no binding
  EXPECT_EQ(answer_to("FOO", "sip:bob@127.0.0.1", "Require: foo\r\n").status(), 480);
}

// A phone's keep-alive through its outbound proxy: Request-URI osprey, Route osprey (RFC 3261
// §16.4: the Route of ours is consumed; the Request-URI is no Record-Route osprey wrote, so it is
// not a strict router's). It is for osprey: 200, not 480 for a request "to" the Route.
TEST_F(LocalResponderWithProxyTest, OptionsToOspreyThroughItsOwnRouteIsAnswered) {
  const sip::Message response = answer_to("OPTIONS", "sip:127.0.0.1", "Route: <sip:127.0.0.1;lr>\r\n");
  EXPECT_EQ(response.status(), 200);
  EXPECT_EQ(responder_.counters().options_answered, 1u);
  EXPECT_EQ(answer_to("OPTIONS", "sip:127.0.0.1:5060", "Route: <sip:127.0.0.1:5060;lr>\r\n").status(), 200);
  // A Route toward elsewhere after ours still goes on.
  EXPECT_EQ(responder_.counters().proxied, 0u);
}

}  // namespace
}  // namespace osprey::server
