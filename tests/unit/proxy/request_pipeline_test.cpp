#include "proxy/request_pipeline.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recording_transport.hpp"
#include "sip/message.hpp"
#include "store/memory_location_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {
namespace {

sip::Message parse(const std::string& text) {
  auto message = sip::Message::parse(text);
  EXPECT_TRUE(message) << text;
  return std::move(*message);
}

std::string request_text(const std::string& method, const std::string& uri, const std::string& extra = "") {
  return method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK" + method +
         "1\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f1\r\nTo: <" + uri +
         ">\r\nCall-ID: pipeline-1\r\nCSeq: 1 " + method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
}

const net::Flow kFlow{net::Protocol::udp, {boost::asio::ip::make_address("192.0.2.9"), 5070}, {}, 0};

// The order the pipeline lists is the order it runs: route processing first (the decision),
// access control after the sanity checks for osprey itself, the proxy last.
class RequestPipelineTest : public ::testing::Test {
 protected:
  RequestPipelineTest() : table_(transport_, user_, {}, txn::Clock::now()) {
    user_.pipeline = &pipeline_;
    pipeline_.attach(table_, nullptr);
  }

  // Runs a request through the whole chain (no proxy: every request is for osprey) and returns
  // the one response it got.
  sip::Message answer_to(const std::string& text) {
    const std::size_t before = transport_.sent.size();
    table_.receive(parse(text), kFlow);
    EXPECT_EQ(transport_.sent.size(), before + 1);
    return parse(transport_.sent.back().bytes);
  }

  // Feeds the pipeline what the transaction layer passes up, as server::LocalResponder does.
  class User final : public txn::TransactionUser {
   public:
    void on_request(txn::ServerTransactionId transaction, const sip::Message& request,
                    const net::Flow& flow) override {
      pipeline->run(transaction, request, flow);
    }
    void on_ack(const sip::Message&, const net::Flow&) override {}
    void on_cancel(txn::ServerTransactionId, const sip::Message&) override {}
    void on_response(txn::ClientTransactionId, const sip::Message&) override {}
    void on_client_failure(txn::ClientTransactionId, int) override {}
    void on_stray_response(const sip::Message&, const net::Flow&) override {}
    RequestPipeline* pipeline = nullptr;
  };

  testing::RecordingTransport transport_;
  RequestPipeline pipeline_{[] { return std::string("tag1"); }};
  User user_;
  txn::TransactionTable table_;
};

TEST_F(RequestPipelineTest, TheListedOrderIsRouteSanityAccessSanityLocalServicesRouting) {
  const auto stages = pipeline_.stages();
  ASSERT_EQ(stages.size(), 6u);
  EXPECT_NE(dynamic_cast<RouteStage*>(stages[0]), nullptr);
  EXPECT_NE(dynamic_cast<SanityStage*>(stages[1]), nullptr);
  EXPECT_NE(dynamic_cast<AccessStage*>(stages[2]), nullptr);
  EXPECT_NE(dynamic_cast<SanityStage*>(stages[3]), nullptr);
  EXPECT_NE(dynamic_cast<LocalServicesStage*>(stages[4]), nullptr);
  EXPECT_NE(dynamic_cast<RoutingStage*>(stages[5]), nullptr);
}

TEST_F(RequestPipelineTest, OptionsToOspreyIsAnsweredByTheLocalServices) {
  const sip::Message response = answer_to(request_text("OPTIONS", "sip:192.0.2.1"));
  EXPECT_EQ(response.status(), 200);
  EXPECT_EQ(response.to()->tag(), "tag1");
  EXPECT_EQ(pipeline_.options_answered(), 1u);
  EXPECT_EQ(pipeline_.counters().refused, 0u);
}

// The sanity stage for osprey answers before the local services: an unknown method gets 501
// with Allow, whatever it requires (§8.2.1 before §8.2.2).
TEST_F(RequestPipelineTest, ASanityAnswerStopsBeforeTheLocalServices) {
  const sip::Message response = answer_to(request_text("FROB", "sip:192.0.2.1", "Require: foo\r\n"));
  EXPECT_EQ(response.status(), 501);
  EXPECT_EQ(response.first_value(sip::HeaderId::allow), SanityStage::kAllow);
  EXPECT_EQ(pipeline_.options_answered(), 0u);
  EXPECT_EQ(pipeline_.counters().refused, 1u);
}

// Screening before the transaction layer: an attack tool's request is dropped, and nothing is sent.
TEST_F(RequestPipelineTest, ADroppedRequestGetsNoAnswer) {
  const security::ScannerFilter scanners(std::vector<std::string>{"friendly-scanner"});
  pipeline_.scanner().attach(
      &scanners, nullptr, [] { return std::int64_t{0}; }, nullptr);
  const sip::Message scanner =
      parse(request_text("OPTIONS", "sip:100@192.0.2.1", "User-Agent: friendly-scanner\r\n"));
  EXPECT_EQ(pipeline_.screen(scanner, kFlow), Verdict::dropped);
  EXPECT_TRUE(transport_.sent.empty());
  const sip::Message phone = parse(request_text("OPTIONS", "sip:192.0.2.1", "User-Agent: Linphone\r\n"));
  EXPECT_EQ(pipeline_.screen(phone, kFlow), Verdict::pass_on);
}

TEST_F(RequestPipelineTest, RegisterWithoutARegistrarGets501) {
  EXPECT_EQ(answer_to(request_text("REGISTER", "sip:example.com")).status(), 501);
}

// RFC 3261 §10.3 step 1: a REGISTER for another domain is for osprey's registrar (which answers
// 403) unless forwarding is on; then it is routed like any request. A REGISTER for a served
// domain, or naming one of osprey's own addresses, is always the registrar's.
TEST(RouteStage, ARegisterForAnotherDomainIsRoutedOnlyWhenForwardingIsOn) {
  net::LocalIdentity identity({"example.com"});
  identity.add_address({boost::asio::ip::make_address("192.0.2.1"), 5060});
  RouteStage route;
  route.attach(&identity);
  const sip::Message foreign = parse(request_text("REGISTER", "sip:other.net"));
  const sip::Message served = parse(request_text("REGISTER", "sip:example.com"));
  const sip::Message ours = parse(request_text("REGISTER", "sip:192.0.2.1"));
  const auto for_us = [&route](const sip::Message& request) {
    RequestContext context({}, request, kFlow);
    EXPECT_EQ(route.run(context), Verdict::pass_on);
    return context.for_us();
  };
  EXPECT_TRUE(for_us(foreign));  // the default: refused by the registrar, never relayed
  route.forward_foreign_register(true);
  EXPECT_FALSE(for_us(foreign));
  EXPECT_TRUE(for_us(served));
  EXPECT_TRUE(for_us(ours));
}

// §16.3 for a proxied request: the sanity stage for the proxy answers 483 and 420.
TEST(SanityStage, MaxForwardsZeroGets483) {
  std::string text = request_text("INVITE", "sip:bob@example.com");
  text.replace(text.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  const sip::Message request = parse(text);
  RequestContext context({}, request, kFlow);
  context.route.emplace();
  SanityStage sanity(SanityStage::Scope::proxied);
  ASSERT_EQ(sanity.run(context), Verdict::answered);
  EXPECT_EQ(context.reply->status, 483);
  // The same request for osprey itself is not the proxy's sanity stage's to judge.
  RequestContext for_us({}, request, kFlow);
  EXPECT_EQ(sanity.run(for_us), Verdict::pass_on);
}

TEST(SanityStage, ProxyRequireGets420WithUnsupported) {
  const sip::Message request = parse(request_text("INVITE", "sip:bob@example.com", "Proxy-Require: foo\r\n"));
  RequestContext context({}, request, kFlow);
  context.route.emplace();
  SanityStage sanity(SanityStage::Scope::proxied);
  ASSERT_EQ(sanity.run(context), Verdict::answered);
  EXPECT_EQ(context.reply->status, 420);
  ASSERT_EQ(context.reply->headers.size(), 1u);
  EXPECT_EQ(context.reply->headers[0], (std::pair<std::string, std::string>{"Unsupported", "foo"}));
}

}  // namespace
}  // namespace osprey::proxy
