#include "txn/ack_builder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "txn_messages.hpp"

namespace osprey::txn {
namespace {

TEST(AckBuilder, FollowsRfc3261Section17113) {
  sip::Message invite = testing::parse(testing::kInvite);
  sip::Message response = testing::response_to(invite, 486, "8321234356");
  auto ack = sip::Message::parse(build_ack_for_failure(invite, response));
  ASSERT_TRUE(ack) << ack.error().reason;
  EXPECT_TRUE(ack->is_request());
  EXPECT_EQ(ack->method(), sip::Method::ack);
  EXPECT_EQ(ack->request_uri().text, "sip:bob@biloxi.example.com");
  // Exactly one Via: the INVITE's top Via, branch included.
  EXPECT_EQ(ack->count(sip::HeaderId::via), 1u);
  ASSERT_TRUE(ack->top_via());
  EXPECT_EQ(ack->top_via()->text, "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds");
  // The INVITE's Route set, in order.
  std::vector<std::string> routes;
  ack->for_each_line(sip::HeaderId::route, [&](std::string_view value) {
    routes.emplace_back(value);
    return true;
  });
  EXPECT_EQ(routes, (std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"}));
  EXPECT_EQ(ack->max_forwards(), 70u);
  ASSERT_TRUE(ack->from());
  EXPECT_EQ(ack->from()->uri.text, "sip:alice@atlanta.example.com");
  EXPECT_EQ(ack->from()->tag(), "1928301774");
  // To from the response, with the tag the UAS added.
  ASSERT_TRUE(ack->to());
  EXPECT_EQ(ack->to()->uri.text, "sip:bob@biloxi.example.com");
  EXPECT_EQ(ack->to()->tag(), "8321234356");
  EXPECT_EQ(ack->call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  ASSERT_TRUE(ack->cseq());
  EXPECT_EQ(ack->cseq()->number, 314159u);
  EXPECT_EQ(ack->cseq()->method, sip::Method::ack);
  EXPECT_EQ(ack->content_length(), 0u);
  EXPECT_TRUE(ack->body().empty());
  // Nothing else of the INVITE is carried over.
  EXPECT_EQ(ack->count(sip::HeaderId::contact), 0u);
  EXPECT_EQ(ack->count(sip::HeaderId::content_type), 0u);
}

TEST(AckBuilder, NoRouteWhenTheInviteHasNone) {
  sip::Message invite = testing::parse(testing::kOptions);  // any request without Route
  sip::Message response = testing::response_to(invite, 503);
  auto ack = sip::Message::parse(build_ack_for_failure(invite, response));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->count(sip::HeaderId::route), 0u);
  EXPECT_EQ(ack->cseq()->number, 63104u);
  EXPECT_EQ(ack->cseq()->method, sip::Method::ack);
  EXPECT_EQ(ack->to()->tag(), "b0b");
}

}  // namespace
}  // namespace osprey::txn
