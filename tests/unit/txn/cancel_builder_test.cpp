#include "txn/cancel_builder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "txn_messages.hpp"

namespace osprey::txn {
namespace {

TEST(CancelBuilder, FollowsRfc3261Section91) {
  sip::Message invite = testing::parse(testing::kInvite);
  auto cancel = sip::Message::parse(build_cancel(invite));
  ASSERT_TRUE(cancel) << cancel.error().reason;
  EXPECT_EQ(cancel->method(), sip::Method::cancel);
  EXPECT_EQ(cancel->request_uri().text, "sip:bob@biloxi.example.com");
  // One Via: the INVITE's top one, branch included, so the next hop matches it (§9.2).
  EXPECT_EQ(cancel->count(sip::HeaderId::via), 1u);
  ASSERT_TRUE(cancel->top_via());
  EXPECT_EQ(cancel->top_via()->text, "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds");
  std::vector<std::string> routes;
  cancel->for_each_line(sip::HeaderId::route, [&](std::string_view value) {
    routes.emplace_back(value);
    return true;
  });
  EXPECT_EQ(routes, (std::vector<std::string>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"}));
  ASSERT_TRUE(cancel->from());
  EXPECT_EQ(cancel->from()->tag(), "1928301774");
  ASSERT_TRUE(cancel->to());
  EXPECT_TRUE(cancel->to()->tag().empty());
  EXPECT_EQ(cancel->call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  ASSERT_TRUE(cancel->cseq());
  EXPECT_EQ(cancel->cseq()->number, invite.cseq()->number);
  EXPECT_EQ(cancel->cseq()->method, sip::Method::cancel);
}

TEST(CancelBuilder, The487CarriesTheInvitesCSeq) {
  sip::Message invite = testing::parse(testing::kInvite);
  sip::Message cancel = testing::parse(build_cancel(invite));
  auto built = response_to_cancelled_invite(cancel, "t487");
  ASSERT_TRUE(built);
  // As the table sends it: serialized (an edited Message's parsed fields describe it as built).
  auto response = sip::Message::parse(built->serialize());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status(), 487);
  ASSERT_TRUE(response->cseq());
  EXPECT_EQ(response->cseq()->number, invite.cseq()->number);
  EXPECT_EQ(response->cseq()->method, sip::Method::invite);
  ASSERT_TRUE(response->to());
  EXPECT_EQ(response->to()->tag(), "t487");
  EXPECT_EQ(response->call_id(), invite.call_id());
}

}  // namespace
}  // namespace osprey::txn
