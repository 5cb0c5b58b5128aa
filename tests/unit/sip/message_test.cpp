#include "sip/message.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace osprey::sip {
namespace {

constexpr std::string_view kInvite =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@example.com>\r\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.example.com>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

TEST(Message, ParsesTransactionKey) {
  auto m = Message::parse(std::string(kInvite));
  ASSERT_TRUE(m) << m.error().reason;
  EXPECT_TRUE(m->is_request());
  EXPECT_EQ(m->method(), Method::invite);
  EXPECT_EQ(m->request_uri().user, "bob");
  EXPECT_EQ(m->request_uri().host, "example.com");
  ASSERT_TRUE(m->top_via());
  EXPECT_EQ(m->top_via()->branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(m->top_via()->has_rport);
  EXPECT_EQ(m->top_via()->transport, "UDP");
  ASSERT_TRUE(m->cseq());
  EXPECT_EQ(m->cseq()->number, 314159u);
  EXPECT_EQ(m->cseq()->method, Method::invite);
  EXPECT_EQ(*m->call_id(), "a84b4c76e66710@pc33.example.com");
  EXPECT_EQ(m->from()->tag(), "1928301774");
  EXPECT_EQ(m->to()->tag(), "");
  EXPECT_EQ(m->to()->display_text(), "Bob");
  EXPECT_EQ(*m->max_forwards(), 70u);
  EXPECT_EQ(m->body(), "v=0\n");
  EXPECT_EQ(m->serialize(), kInvite);
}

TEST(Message, EditsSerializeWithRecomputedLength) {
  auto m = Message::parse(std::string(kInvite));
  ASSERT_TRUE(m);
  m->prepend_via("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy1");
  m->set_body("v=0\r\no=x\r\n");
  m->remove_headers(HeaderId::contact);
  std::string out = m->serialize();
  auto again = Message::parse(out);
  ASSERT_TRUE(again) << again.error().reason;
  EXPECT_EQ(again->top_via()->branch, "z9hG4bKproxy1");
  EXPECT_EQ(*again->content_length(), 10u);
  EXPECT_EQ(again->count(HeaderId::contact), 0u);
  EXPECT_EQ(again->count(HeaderId::via), 2u);
}

}  // namespace
}  // namespace osprey::sip

namespace osprey::sip {
namespace {

TEST(Message, ACloneOutlivesTheOriginalWithEveryParsedFieldAndEdit) {
  auto parsed = Message::parse(std::string(kInvite));
  ASSERT_TRUE(parsed);
  std::optional<Message> original(std::move(*parsed));
  original->prepend_via("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKproxy");
  const std::string serialized = original->serialize();
  Message copy = original->clone();
  original.reset();  // ASan: any view of the copy still into the original's bytes is a use after free
  EXPECT_EQ(copy.method_text(), "INVITE");
  EXPECT_EQ(copy.request_uri().text, "sip:bob@example.com");
  EXPECT_EQ(copy.request_uri().user, "bob");
  EXPECT_EQ(copy.request_uri().host, "example.com");
  ASSERT_TRUE(copy.top_via());
  EXPECT_EQ(copy.top_via()->branch, "z9hG4bK776asdhds");  // as parsed: edits leave the typed fields
  EXPECT_EQ(copy.top_via()->host, "pc33.example.com");
  EXPECT_TRUE(copy.top_via()->has_rport);
  ASSERT_TRUE(copy.from());
  EXPECT_EQ(copy.from()->tag(), "1928301774");
  EXPECT_EQ(copy.from()->display_name, "Alice");
  EXPECT_EQ(copy.from()->uri.user, "alice");
  ASSERT_TRUE(copy.to());
  EXPECT_EQ(copy.to()->uri.host, "example.com");
  ASSERT_TRUE(copy.call_id());
  EXPECT_EQ(*copy.call_id(), "a84b4c76e66710@pc33.example.com");
  ASSERT_TRUE(copy.cseq());
  EXPECT_EQ(copy.cseq()->method_text, "INVITE");
  EXPECT_EQ(copy.body(), "v=0\n");
  EXPECT_EQ(copy.serialize(), serialized);
}

}  // namespace
}  // namespace osprey::sip
