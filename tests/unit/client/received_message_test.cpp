#include "client/received_message.hpp"

#include <gtest/gtest.h>

#include "sip/date_header.hpp"

namespace osprey::client {
namespace {

// 2010-11-13 23:29:00 UTC
constexpr std::int64_t kReceived = 1289690940;

sip::Message message_with(const std::string& extra_headers, const std::string& body,
                          const std::string& from = "\"Alice\" <sip:alice@example.com>;tag=a1") {
  const std::string text =
      "MESSAGE sip:osprey@127.0.0.1:5070 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
      "From: " +
      from +
      "\r\n"
      "To: <sip:bob@example.com>\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 MESSAGE\r\n"
      "Max-Forwards: 70\r\n" +
      extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  auto parsed = sip::Message::parse(text);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().reason);
  return std::move(*parsed);
}

TEST(ReceivedMessage, TheDateHeaderIsTheTimeWhenPresent) {
  // A stored-and-forwarded message carries its submission time (RFC 3428 store-and-forward: the original Date).
  const auto read = read_received_message(
      message_with("Date: Mon, 01 Jan 2024 10:00:00 GMT\r\nContent-Type: text/plain\r\n", "hi"), kReceived);
  EXPECT_EQ(read.time, "Mon, 01 Jan 2024 10:00:00 GMT");
}

TEST(ReceivedMessage, WithoutDateTheReceiveTimeStands) {
  const auto read = read_received_message(message_with("Content-Type: text/plain\r\n", "hi"), kReceived);
  EXPECT_EQ(read.time, sip::format_date(kReceived));
  EXPECT_EQ(read.time, "Sat, 13 Nov 2010 23:29:00 GMT");
}

TEST(ReceivedMessage, AMalformedDateFallsBackToTheReceiveTime) {
  // RFC 3261 §20.17: GMT only; "EST" is invalid (RFC 4475 §3.1.2.12), so it cannot be the time.
  const auto read = read_received_message(
      message_with("Date: Fri, 01 Jan 2010 16:00:00 EST\r\nContent-Type: text/plain\r\n", "hi"), kReceived);
  EXPECT_EQ(read.time, sip::format_date(kReceived));
}

TEST(ReceivedMessage, SenderHasTheDisplayNameAndUri) {
  const auto read = read_received_message(message_with("Content-Type: text/plain\r\n", "hi"), kReceived);
  EXPECT_EQ(read.sender, "Alice <sip:alice@example.com>");
  const auto bare = read_received_message(
      message_with("Content-Type: text/plain\r\n", "hi", "<sip:carol@example.com>;tag=c"), kReceived);
  EXPECT_EQ(bare.sender, "sip:carol@example.com");
}

TEST(ReceivedMessage, BlockIsTimeSenderAndIndentedText) {
  const auto read = read_received_message(
      message_with("Content-Type: text/plain;charset=utf-8\r\n", "hello\r\nsecond line"), kReceived);
  EXPECT_EQ(format_received_message(read),
            "Sat, 13 Nov 2010 23:29:00 GMT  Alice <sip:alice@example.com>\n"
            "  hello\n"
            "  second line\n");
}

TEST(ReceivedMessage, TerminalEscapesAreShownNotSent) {
  const auto read =
      read_received_message(message_with("Content-Type: text/plain\r\n", "a\x1b[2Jb"), kReceived);
  EXPECT_EQ(read.text, "a\\x1b[2Jb");
  EXPECT_EQ(printable("tab\tok\x7f"), "tab\tok\\x7f");
}

TEST(ReceivedMessage, NonTextBodiesAreNamedNotPrinted) {
  const auto read = read_received_message(
      message_with("Content-Type: application/im-iscomposing+xml\r\n", "<x/>"), kReceived);
  EXPECT_EQ(read.text, "(application/im-iscomposing+xml, 4 bytes, not shown)");
}

}  // namespace
}  // namespace osprey::client
