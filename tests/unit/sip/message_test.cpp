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
  original->prepend_header(HeaderId::record_route, "<sip:192.0.2.1;lr>");
  const std::string serialized = original->serialize();
  Message copy = original->clone();
  original.reset();  // ASan: any view of the copy still into the original's bytes is a use after free
  EXPECT_EQ(copy.method_text(), "INVITE");
  EXPECT_EQ(copy.request_uri().text, "sip:bob@example.com");
  EXPECT_EQ(copy.request_uri().user, "bob");
  EXPECT_EQ(copy.request_uri().host, "example.com");
  ASSERT_TRUE(copy.top_via());
  EXPECT_EQ(copy.top_via()->branch, "z9hG4bK776asdhds");
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
  EXPECT_EQ(copy.count(HeaderId::record_route), 1u);
}

TEST(Message, ReparsedDescribesTheEdits) {
  auto m = Message::parse(std::string(kInvite));
  ASSERT_TRUE(m);
  m->prepend_via("SIP/2.0/TCP proxy.example.com;branch=z9hG4bKproxy1");
  m->replace_header(HeaderId::cseq, "314160 INVITE");
  m->set_request_uri("sip:bob@192.0.2.7:5062");
  m->set_body("v=0\r\no=x\r\n");
  auto again = m->reparsed();
  ASSERT_TRUE(again) << again.error().reason;
  EXPECT_FALSE(again->edited());
  EXPECT_EQ(again->top_via()->branch, "z9hG4bKproxy1");
  EXPECT_EQ(again->cseq()->number, 314160u);
  EXPECT_EQ(again->request_uri().host, "192.0.2.7");
  EXPECT_EQ(*again->content_length(), 10u);
  EXPECT_EQ(again->serialize(), m->serialize());
}

TEST(Message, ReparsedOfAnUneditedMessageIsACopy) {
  std::optional<Message> original(*Message::parse(std::string(kInvite)));
  auto copy = original->reparsed();
  original.reset();  // ASan: the copy owns its bytes
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->top_via()->branch, "z9hG4bK776asdhds");
  EXPECT_EQ(copy->serialize(), kInvite);
}

TEST(Message, EditsLeaveTheFieldsTheyDoNotChangeReadable) {
  auto m = Message::parse(std::string(kInvite));
  ASSERT_TRUE(m);
  m->prepend_via("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy1");
  m->remove_headers(HeaderId::contact);
  m->add_header(HeaderId::record_route, "<sip:proxy.example.com;lr>");
  // None of these reads asserts: only the top Via changed.
  EXPECT_EQ(m->cseq()->number, 314159u);
  EXPECT_EQ(*m->call_id(), "a84b4c76e66710@pc33.example.com");
  EXPECT_EQ(m->from()->tag(), "1928301774");
  EXPECT_EQ(m->request_uri().user, "bob");
  EXPECT_EQ(*m->max_forwards(), 70u);
  EXPECT_EQ(*m->content_length(), 4u);

  // A Via added below the first one leaves the top Via as it was.
  auto appended = Message::parse(std::string(kInvite));
  ASSERT_TRUE(appended);
  appended->add_header(HeaderId::via, "SIP/2.0/UDP below.example.com;branch=z9hG4bKbelow");
  EXPECT_EQ(appended->top_via()->branch, "z9hG4bK776asdhds");
}

TEST(Message, AStampedTopViaStaysReadable) {
  auto m = Message::parse(std::string(kInvite));
  ASSERT_TRUE(m);
  m->stamp_top_via("SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds;rport=5070;received=192.0.2.9");
  // The key fields are those of the stamped element too; received and rport read as they came.
  EXPECT_EQ(m->top_via()->branch, "z9hG4bK776asdhds");
  EXPECT_EQ(m->top_via()->host, "pc33.example.com");
  EXPECT_FALSE(m->top_via()->has_received);
  auto again = m->reparsed();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->count(HeaderId::via), 1u);
  EXPECT_EQ(again->top_via()->received, "192.0.2.9");
  EXPECT_EQ(again->top_via()->rport, "5070");
}

#ifndef NDEBUG
// The eagerly parsed fields describe the message as parsed: after an edit of their header they
// are stale, and reading one is a bug that debug builds stop at.
TEST(MessageDeathTest, ReadingAFieldAnEditChangedIsCaught) {
  const auto edited = [](auto edit) {
    auto m = Message::parse(std::string(kInvite));
    edit(*m);
    return std::move(*m);
  };
  EXPECT_DEATH(
      (void)edited([](Message& m) { m.prepend_via("SIP/2.0/UDP p.example.com;branch=z9hG4bKp"); }).top_via(),
      "reparsed");
  EXPECT_DEATH((void)edited([](Message& m) { (void)m.remove_first_element(HeaderId::via); }).top_via(),
               "reparsed");
  EXPECT_DEATH((void)edited([](Message& m) { m.replace_header(HeaderId::cseq, "2 INVITE"); }).cseq(),
               "reparsed");
  EXPECT_DEATH((void)edited([](Message& m) { m.remove_headers("Call-ID"); }).call_id(), "reparsed");
  EXPECT_DEATH((void)edited([](Message& m) { m.replace_header(HeaderId::from, "<sip:x@y>;tag=2"); }).from(),
               "reparsed");
  EXPECT_DEATH((void)edited([](Message& m) { m.prepend_header(HeaderId::to, "<sip:x@y>"); }).to(),
               "reparsed");
  EXPECT_DEATH(
      (void)edited([](Message& m) { m.replace_header(HeaderId::max_forwards, "69"); }).max_forwards(),
      "reparsed");
  EXPECT_DEATH((void)edited([](Message& m) { m.set_body("x"); }).content_length(), "reparsed");
  EXPECT_DEATH((void)edited([](Message& m) { m.set_request_uri("sip:x@y"); }).request_uri(), "reparsed");
  // A clone carries the edits, and so their staleness.
  EXPECT_DEATH((void)edited([](Message& m) { m.set_request_uri("sip:x@y"); }).clone().request_uri(),
               "reparsed");
}
#endif

}  // namespace
}  // namespace osprey::sip

namespace osprey::sip {
namespace {

// A header line is found by one search for CR or LF; a line whose first break is not a CRLF is
// judged by the byte searches it always was, so each defect keeps its reason and offset. The
// defects sit past the first 16 bytes of their line, where the search reads whole blocks.
TEST(Message, LineBreakDefectsKeepTheirReasonAndOffset) {
  const std::string head =
      "OPTIONS sip:a@b.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
      "To: <sip:a@b.com>\r\nFrom: <sip:c@d.com>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n";
  const std::string tail = "Content-Length: 0\r\n\r\n";
  struct Case {
    std::string line;         // a header line with a defect
    std::string_view marker;  // the text the error offset points at
    std::string_view reason;
  };
  const std::string long_text(40, 'a');
  const Case cases[] = {
      {"Subject: " + long_text + "\rbbb\r\n", "\rbbb", "Bare CR in header"},
      {"Subject: " + long_text + "\nbbb\r\n", "\nbbb", "Bare LF in header"},
      // A CR before a bare LF: the LF is what is reported, as the byte searches find it first.
      {"Subject: " + long_text + "\rbb\ncc\r\n", "\ncc", "Bare LF in header"},
      {"Subject: " + long_text + "\r\n  folded " + long_text + "\rx\r\n", "\rx", "Bare CR in header"},
  };
  for (const Case& c : cases) {
    const std::string text = head + c.line + tail;
    auto m = Message::parse(text);
    ASSERT_FALSE(m) << c.reason;
    EXPECT_EQ(m.error().reason, c.reason);
    EXPECT_EQ(m.error().offset, text.find(c.marker)) << c.reason;
    EXPECT_EQ(m.error().server_status, 400);
  }
  // No line end at all: the section is not terminated, reported at the line's start.
  const std::string unterminated = head + "Subject: " + long_text;
  auto m = Message::parse(unterminated);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "Header section not terminated");
  EXPECT_EQ(m.error().offset, head.size());
}

}  // namespace
}  // namespace osprey::sip
