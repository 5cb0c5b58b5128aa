#include "sip/route_decision.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

#include "sip/aor.hpp"
#include "sip/host.hpp"

namespace osprey::sip {
namespace {

sip::Message request(const std::string& uri, const std::string& routes) {
  std::string text = "INVITE " + uri +
                     " SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bK1\r\n"
                     "From: <sip:alice@example.com>;tag=f1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1\r\n"
                     "CSeq: 1 INVITE\r\nMax-Forwards: 70\r\n";
  if (!routes.empty()) text += "Route: " + routes + "\r\n";
  text += "Content-Length: 0\r\n\r\n";
  auto message = sip::Message::parse(text);
  if (!message) {
    ADD_FAILURE() << message.error().reason;
    std::abort();
  }
  return std::move(*message);
}

// A server at 192.0.2.1:5060 serving example.com (what net::LocalIdentity answers for the
// server; route processing needs nothing else of it).
class TestServer final : public OurUris {
 public:
  bool is_ours(const Uri& uri) const override {
    return uri.is_sip() && served_domain(uri.host, hosts_) && uri.port_or_default() == 5060;
  }

 private:
  std::vector<std::string> hosts_{"example.com", "192.0.2.1"};
};

TestServer identity() { return {}; }

TEST(RouteDecision, AStrictRoutersFormTargetsTheLastRoute) {
  const auto decision =
      decide_route(request("sip:192.0.2.1:5060;osp-dt=abc", "<sip:+4490012345@192.0.2.1>"), identity());
  ASSERT_TRUE(decision);
  EXPECT_EQ(decision->request_uri, "sip:+4490012345@192.0.2.1");
  EXPECT_TRUE(decision->routes.empty());
  EXPECT_EQ(decision->next_hop, "sip:+4490012345@192.0.2.1");
  EXPECT_EQ(decision->tokens, std::vector<std::string>{"abc"});
  EXPECT_TRUE(decision->routes_changed);
}

// §16.4 rewrites only "a value this proxy previously placed into a Record-Route": osprey's carry
// osp-dt. A plain URI of ours is a request for osprey (a phone's keep-alive through its outbound
// proxy), whose Route of ours is consumed and whose Request-URI stays.
TEST(RouteDecision, ARequestUriOfOursWithoutTheRecordRouteMarkIsNotAStrictRoutersForm) {
  const auto decision = decide_route(request("sip:192.0.2.1", "<sip:192.0.2.1;lr>"), identity());
  ASSERT_TRUE(decision);
  EXPECT_EQ(decision->request_uri, "sip:192.0.2.1");
  EXPECT_TRUE(decision->routes.empty());
  EXPECT_EQ(decision->next_hop, "sip:192.0.2.1");
  EXPECT_TRUE(decision->tokens.empty());
  // Every Record-Route URI osprey writes is recognised, with or without a token value.
  EXPECT_TRUE(
      placed_in_record_route(*sip::parse_uri("sip:192.0.2.1:5060;transport=udp;osp-dt;lr"), identity()));
  EXPECT_FALSE(placed_in_record_route(*sip::parse_uri("sip:192.0.2.1:5060;lr"), identity()));
  EXPECT_FALSE(
      placed_in_record_route(*sip::parse_uri("sip:192.0.2.77;osp-dt=x;lr"), identity()));  // not ours
}

TEST(RouteDecision, PopsEveryLeadingRouteOfOursAndKeepsTheRest) {
  const auto decision =
      decide_route(request("sip:bob@203.0.113.5",
                           "<sip:192.0.2.1;osp-dt=t1;lr>, <sip:EXAMPLE.com.;lr>, <sip:proxy.other.net;lr>, "
                           "<sip:192.0.2.1;lr>"),
                   identity());
  ASSERT_TRUE(decision);
  EXPECT_EQ(decision->request_uri, "sip:bob@203.0.113.5");
  EXPECT_EQ(decision->routes, (std::vector<std::string>{"<sip:proxy.other.net;lr>", "<sip:192.0.2.1;lr>"}));
  EXPECT_EQ(decision->next_hop, "sip:proxy.other.net;lr");
  EXPECT_EQ(decision->tokens, std::vector<std::string>{"t1"});
}

// The ACK for a 2xx, which nothing judged before: decided and applied in one step.
TEST(RouteDecision, ProcessRoutesPopsOursFromTheMessage) {
  sip::Message ack = request("sip:bob@203.0.113.5", "<sip:192.0.2.1;lr>, <sip:proxy.other.net;lr>");
  const auto decision = process_routes(ack, identity());
  ASSERT_TRUE(decision);
  EXPECT_EQ(decision->next_hop, "sip:proxy.other.net;lr");
  auto serialized = sip::Message::parse(ack.serialize());
  ASSERT_TRUE(serialized);
  EXPECT_EQ(serialized->first_value(sip::HeaderId::route), "<sip:proxy.other.net;lr>");
  sip::Message bad = request("sip:bob@example.com", "sip:no-brackets");
  EXPECT_FALSE(process_routes(bad, identity()));
}

TEST(RouteDecision, NoRouteLeavesTheRequestAlone) {
  const auto decision = decide_route(request("sip:bob@example.com", ""), identity());
  ASSERT_TRUE(decision);
  EXPECT_FALSE(decision->routes_changed);
  EXPECT_EQ(decision->next_hop, "sip:bob@example.com");
  EXPECT_FALSE(decide_route(request("sip:bob@example.com", "sip:no-brackets"), identity()));
}

}  // namespace
}  // namespace osprey::sip
