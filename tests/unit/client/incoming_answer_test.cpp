#include "client/incoming_answer.hpp"

#include <gtest/gtest.h>

#include "sip/header_id.hpp"

namespace osprey::client {
namespace {

sip::Message request(const std::string& method, const std::string& extra = "") {
  const std::string text = method +
                           " sip:osprey@127.0.0.1:5070 SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
                           "From: <sip:alice@example.com>;tag=a1\r\n"
                           "To: <sip:bob@example.com>\r\n"
                           "Call-ID: c1\r\n"
                           "CSeq: 1 " +
                           method +
                           "\r\n"
                           "Max-Forwards: 70\r\n" +
                           extra + "Content-Length: 0\r\n\r\n";
  auto parsed = sip::Message::parse(text);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().reason);
  return std::move(*parsed);
}

TEST(IncomingAnswer, MessageIsAcceptedAndDelivered) {
  const IncomingAnswer answer = answer_for(request("MESSAGE"));
  EXPECT_EQ(answer.status, 200);
  EXPECT_TRUE(answer.deliver);
}

TEST(IncomingAnswer, OptionsIs200WithAllow) {
  const IncomingAnswer answer = answer_for(request("OPTIONS"));
  EXPECT_EQ(answer.status, 200);
  EXPECT_FALSE(answer.deliver);
  auto response = build_answer(request("OPTIONS"), answer, "t1");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->first_value(sip::HeaderId::allow), "MESSAGE, OPTIONS");
}

TEST(IncomingAnswer, OtherMethodsAre405WithAllow) {
  // RFC 3261 §8.2.1: 405 and an Allow of what we support.
  for (const char* method : {"INVITE", "INFO", "SUBSCRIBE", "FOO"}) {
    const sip::Message incoming = request(method);
    const IncomingAnswer answer = answer_for(incoming);
    EXPECT_EQ(answer.status, 405) << method;
    EXPECT_FALSE(answer.deliver) << method;
    auto response = build_answer(incoming, answer, "t1");
    ASSERT_TRUE(response) << method;
    EXPECT_EQ(response->status(), 405);
    EXPECT_EQ(response->reason(), "Method Not Allowed");
    EXPECT_EQ(response->first_value(sip::HeaderId::allow), "MESSAGE, OPTIONS") << method;
    EXPECT_EQ(response->to()->tag(), "t1");
  }
}

TEST(IncomingAnswer, UnknownRequireIs420First) {
  // §8.2.2.3: an extension we do not support, even on a MESSAGE.
  const IncomingAnswer answer = answer_for(request("MESSAGE", "Require: foo\r\n"));
  EXPECT_EQ(answer.status, 420);
  EXPECT_FALSE(answer.deliver);
}

}  // namespace
}  // namespace osprey::client
