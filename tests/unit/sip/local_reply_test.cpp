#include "sip/local_reply.hpp"

#include <gtest/gtest.h>

#include "sip/validation.hpp"

namespace osprey::sip {
namespace {

constexpr std::string_view kRegister =
    "REGISTER sip:example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK77\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:alice@example.com>\r\n"
    "From: <sip:alice@example.com>;tag=1\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Expires: 5\r\n"
    "Contact: <sip:alice@192.0.2.4>\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(LocalReply, SerializesStatusReasonHeadersAndToTag) {
  auto request = Message::parse(std::string(kRegister));
  ASSERT_TRUE(request);
  const LocalReply reply{423, "Interval Too Brief", {{"Min-Expires", "60"}}};
  auto response = Message::parse(serialize_reply(*request, reply, "t"));
  ASSERT_TRUE(response) << response.error().reason;
  EXPECT_EQ(response->status(), 423);
  EXPECT_EQ(response->reason(), "Interval Too Brief");
  EXPECT_EQ(response->first_value(HeaderId::min_expires), "60");
  EXPECT_EQ(response->to()->tag(), "t");
  EXPECT_EQ(response->call_id(), "c1");
  EXPECT_EQ(response->count(HeaderId::contact), 0u);
}

TEST(LocalReply, EmptyReasonIsTheDefaultPhrase) {
  auto request = Message::parse(std::string(kRegister));
  ASSERT_TRUE(request);
  auto response = Message::parse(serialize_reply(*request, LocalReply{404, {}, {}}, "t"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->reason(), "Not Found");
}

// check_request's replies tell a malformed request from one asking for what is unsupported.
TEST(LocalReply, DefectsAreTheMalformations) {
  EXPECT_TRUE(is_defect(LocalReply{400, "Missing To header", {}}));
  EXPECT_TRUE(is_defect(LocalReply{505, {}, {}}));
  EXPECT_TRUE(is_defect(LocalReply{501, {}, {}}));
  EXPECT_FALSE(is_defect(LocalReply{416, {}, {}}));
  EXPECT_FALSE(is_defect(LocalReply{420, {}, {}}));
  EXPECT_FALSE(is_defect(LocalReply{483, {}, {}}));
}

}  // namespace
}  // namespace osprey::sip
