#include "sip/builder.hpp"

#include <gtest/gtest.h>

namespace osprey::sip {
namespace {

constexpr std::string_view kRequest =
    "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKhjhs8ass877\r\n"
    "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK1;received=192.0.2.4\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:carol@chicago.example.com>\r\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Timestamp: 54\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(Builder, ResponseCopiesViaFromToCallIdCSeq) {
  auto request = Message::parse(std::string(kRequest));
  ASSERT_TRUE(request);
  auto response =
      MessageBuilder::response_to(*request, 200, {}, "a6c85cf").header("Allow", "INVITE, ACK").build();
  ASSERT_TRUE(response) << response.error().reason;
  EXPECT_EQ(response->status(), 200);
  EXPECT_EQ(response->reason(), "OK");
  EXPECT_EQ(response->count(HeaderId::via), 2u);
  EXPECT_EQ(response->top_via()->branch, "z9hG4bKhjhs8ass877");
  EXPECT_EQ(response->to()->tag(), "a6c85cf");
  EXPECT_EQ(response->from()->tag(), "1928301774");
  EXPECT_EQ(*response->call_id(), "a84b4c76e66710");
  EXPECT_EQ(response->cseq()->number, 63104u);
  EXPECT_EQ(response->count(HeaderId::timestamp), 0u);  // only a 100 copies Timestamp
  EXPECT_EQ(*response->first_value(HeaderId::allow), "INVITE, ACK");
  EXPECT_EQ(*response->content_length(), 0u);
}

TEST(Builder, TryingCopiesTimestampAndAddsNoTag) {
  auto request = Message::parse(std::string(kRequest));
  ASSERT_TRUE(request);
  auto trying = MessageBuilder::response_to(*request, 100, {}, "tag1").build();
  ASSERT_TRUE(trying);
  EXPECT_EQ(trying->reason(), "Trying");
  EXPECT_EQ(*trying->first_value(HeaderId::timestamp), "54");
  EXPECT_EQ(trying->to()->tag(), "");
}

TEST(Builder, ValuesCannotInjectHeaders) {
  auto m = MessageBuilder::request("MESSAGE", "sip:bob@example.com")
               .header("Via", "SIP/2.0/UDP h;branch=z9hG4bK1")
               .header("From", "<sip:a@example.com>;tag=1")
               .header("To", "<sip:bob@example.com>")
               .header("Call-ID", "c1")
               .header("CSeq", "1 MESSAGE")
               .header("Subject", "hi\r\nRoute: <sip:evil.example.com>")
               .body("text/plain", "hello")
               .build();
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_EQ(m->count(HeaderId::route), 0u);
  EXPECT_EQ(m->body(), "hello");
  EXPECT_EQ(*m->first_value(HeaderId::content_type), "text/plain");
}

TEST(Builder, UnknownStatusGetsClassReason) {
  EXPECT_EQ(default_reason(299), "Success");
  EXPECT_EQ(default_reason(486), "Busy Here");
  EXPECT_EQ(default_reason(699), "Global Failure");
}

}  // namespace
}  // namespace osprey::sip
