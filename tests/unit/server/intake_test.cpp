#include "server/intake.hpp"

#include <string>

#include <gtest/gtest.h>

#include "sip/message.hpp"
#include "sip/stateless_reply.hpp"

namespace osprey::server {
namespace {

std::string options_with(std::string_view extra_headers, std::string_view cseq = "CSeq: 1 OPTIONS") {
  std::string text =
      "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK-intake;rport\r\n"
      "From: <sip:alice@example.com>;tag=a1\r\n"
      "To: <sip:127.0.0.1>\r\n"
      "Call-ID: intake-1\r\n";
  text += cseq;
  text += "\r\n";
  text += extra_headers;
  text += "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
  return text;
}

sip::Message parse_reply(const std::string& reply) {
  auto parsed = sip::Message::parse(reply);
  EXPECT_TRUE(parsed) << reply;
  return std::move(*parsed);
}

TEST(Intake, WellFormedRequestPassesThrough) {
  const Intake intake = take_in(options_with(""), {});
  ASSERT_TRUE(intake.message);
  EXPECT_TRUE(intake.reply.empty());
  EXPECT_EQ(intake.message->method(), sip::Method::options);
}

TEST(Intake, GarbageIsDroppedWithoutAnswer) {
  const Intake intake = take_in("\x16\x03\x01 not sip at all\r\n\r\n", {});
  EXPECT_FALSE(intake.message);
  EXPECT_TRUE(intake.reply.empty());
  EXPECT_FALSE(intake.dropped.empty());
}

// RFC 5626 §4.4.1 / RFC 3261 §7.5: CRLFs alone are a keep-alive, which the worker drops
// without logging it as a malformed message.
TEST(Intake, CrlfAloneIsAKeepAlive) {
  EXPECT_TRUE(is_keepalive("\r\n"));
  EXPECT_TRUE(is_keepalive("\r\n\r\n"));
  EXPECT_TRUE(is_keepalive("\n"));
  EXPECT_FALSE(is_keepalive(""));
  EXPECT_FALSE(is_keepalive("\r\n\r\nOPTIONS sip:x SIP/2.0\r\n"));
  EXPECT_FALSE(is_keepalive(" \r\n"));
  EXPECT_FALSE(is_keepalive(std::string("\r\n\0", 3)));
  // What take_in would have said of one: a drop worth a "malformed" log line.
  EXPECT_FALSE(take_in("\r\n\r\n", {}).dropped.empty());
}

TEST(Intake, MalformedResponseIsDropped) {
  const Intake intake = take_in("SIP/2.0 abc Broken\r\nVia: SIP/2.0/UDP 192.0.2.1\r\n\r\n", {});
  EXPECT_FALSE(intake.message);
  EXPECT_TRUE(intake.reply.empty());
  EXPECT_FALSE(intake.dropped.empty());
}

TEST(Intake, MissingFromGets400NamingIt) {
  std::string text = options_with("");
  text.erase(text.find("From:"), text.find("To:") - text.find("From:"));
  const Intake intake = take_in(text, {});
  EXPECT_FALSE(intake.message);
  ASSERT_FALSE(intake.reply.empty());
  const sip::Message reply = parse_reply(intake.reply);
  EXPECT_EQ(reply.status(), 400);
  EXPECT_EQ(reply.reason(), "Missing From header");
  ASSERT_TRUE(reply.top_via());
  EXPECT_EQ(reply.top_via()->branch, "z9hG4bK-intake");
}

TEST(Intake, UnparsableRequestWithReadableViaGetsStateless400) {
  // A CSeq the parser refuses: the message never becomes a Message, the answer is built from
  // the raw lines (§8.2.6.2) and carries a To tag.
  const Intake intake = take_in(options_with("", "CSeq: abc OPTIONS"), {});
  EXPECT_FALSE(intake.message);
  ASSERT_FALSE(intake.reply.empty());
  const sip::Message reply = parse_reply(intake.reply);
  EXPECT_EQ(reply.status(), 400);
  EXPECT_NE(reply.reason().find("CSeq"), std::string_view::npos) << reply.reason();
  ASSERT_TRUE(reply.call_id());
  EXPECT_EQ(*reply.call_id(), "intake-1");
  ASSERT_TRUE(reply.to());
  EXPECT_FALSE(reply.to()->tag().empty());
}

TEST(Intake, StatelessReplyIsStableForARetransmission) {
  const std::string request = options_with("", "CSeq: abc OPTIONS");
  EXPECT_EQ(take_in(request, {}).reply, take_in(request, {}).reply);
}

TEST(Intake, UnknownVersionGets505) {
  std::string text = options_with("");
  text.replace(text.find("SIP/2.0\r\n"), 7, "SIP/3.0");
  const Intake intake = take_in(text, {});
  ASSERT_FALSE(intake.reply.empty());
  EXPECT_EQ(parse_reply(intake.reply).status(), 505);
}

TEST(Intake, OversizedRequestGets513) {
  sip::ParseOptions options;
  options.max_message_size = 1024;
  const std::string big = options_with("Subject: " + std::string(2000, 'x') + "\r\n");
  const Intake intake = take_in(big, options);
  ASSERT_FALSE(intake.reply.empty());
  EXPECT_EQ(parse_reply(intake.reply).status(), 513);
}

TEST(Intake, RequestWithoutReadableViaIsDropped) {
  std::string text = options_with("", "CSeq: abc OPTIONS");
  text.replace(text.find("Via: "), text.find("\r\nFrom") - text.find("Via: "), "Via: garbage here");
  const Intake intake = take_in(text, {});
  EXPECT_TRUE(intake.reply.empty());
  EXPECT_FALSE(intake.message);
}

TEST(Intake, MalformedAckIsNeverAnswered) {
  std::string text = options_with("");
  text.replace(0, 7, "ACK");
  text.replace(text.find("1 OPTIONS"), 9, "1 ACK");
  text.erase(text.find("From:"), text.find("To:") - text.find("From:"));
  const Intake intake = take_in(text, {});
  EXPECT_TRUE(intake.reply.empty());
  EXPECT_FALSE(intake.message);
}

TEST(Intake, StatelessReplyIgnoresResponsesAcksAndViaLessInput) {
  EXPECT_TRUE(sip::stateless_reply("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n", 400, "x").empty());
  EXPECT_TRUE(sip::stateless_reply("INVITE sip:a SIP/2.0\r\nFrom: <sip:b>\r\n\r\n", 400, "x").empty());
  EXPECT_TRUE(sip::stateless_reply("no line end", 400, "x").empty());
  EXPECT_TRUE(sip::stateless_reply("ACK sip:a SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n\r\n",
                                   400, "x")
                  .empty());
}

TEST(Intake, StatelessReplyCopiesSingleValuedHeadersOnce) {
  // Found by fuzz_datagram: every repeated To got its own tag, so the answer outgrew the input.
  const std::string reply = sip::stateless_reply(
      "MESSAGE sip:a SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nTo: <sip:a>\r\nTo: <sip:b>\r\n"
      "From: <sip:c>;tag=1\r\nFrom: <sip:d>;tag=2\r\nCSeq: 1 MESSAGE\r\nCSeq: 2 MESSAGE\r\n\r\n",
      400, "x");
  ASSERT_FALSE(reply.empty());
  EXPECT_NE(reply.find("To: <sip:a>;tag="), std::string::npos);
  EXPECT_EQ(reply.find("<sip:b>"), std::string::npos);
  EXPECT_EQ(reply.find("<sip:d>"), std::string::npos);
  EXPECT_EQ(reply.find("CSeq: 2"), std::string::npos);
}

TEST(Intake, ReasonCannotInjectHeaders) {
  const std::string reply =
      sip::stateless_reply("OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n\r\n", 400,
                           "bad\r\nX-Injected: 1");
  ASSERT_FALSE(reply.empty());
  EXPECT_EQ(reply.find("\r\nX-Injected"), std::string::npos);
}

}  // namespace
}  // namespace osprey::server
