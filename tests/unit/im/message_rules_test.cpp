#include "im/message_rules.hpp"

#include <string>

#include <gtest/gtest.h>

#include "sip/date_header.hpp"

namespace osprey::im {
namespace {

std::string message_text(const std::string& content_type, const std::string& body,
                         const std::string& to = "<sip:bob@example.com>") {
  std::string text =
      "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKm1\r\n"
      "Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@example.com>;tag=f1\r\nTo: " +
      to + "\r\nCall-ID: im-1\r\nCSeq: 7 MESSAGE\r\n";
  if (!content_type.empty()) text += "Content-Type: " + content_type + "\r\n";
  return text + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

sip::Message parse(const std::string& text) {
  // Larger than the parser's default message limit: the body limit is checked on its own.
  auto message = sip::Message::parse(text, {.max_message_size = 1024 * 1024});
  if (!message) {
    ADD_FAILURE() << text.substr(0, 300);
    return std::move(*sip::Message::parse("OPTIONS sip:x SIP/2.0\r\n\r\n"));
  }
  return std::move(*message);
}

TEST(MessageRules, BodyAtTheLimitPassesOneByteMoreGets413) {
  const ImLimits limits{.max_body_bytes = 10};
  EXPECT_FALSE(check_message(parse(message_text("text/plain", std::string(10, 'x'))), limits));
  const auto rejection = check_message(parse(message_text("text/plain", std::string(11, 'x'))), limits);
  ASSERT_TRUE(rejection);
  EXPECT_EQ(rejection->status, 413);
  EXPECT_EQ(rejection->reason, "Request Entity Too Large");
}

TEST(MessageRules, DefaultLimitIs64KiB) {
  EXPECT_FALSE(check_message(parse(message_text("text/plain", std::string(64 * 1024, 'x'))), {}));
  EXPECT_TRUE(check_message(parse(message_text("text/plain", std::string(64 * 1024 + 1, 'x'))), {}));
}

TEST(MessageRules, TypingNotificationIsDetectedWithParametersAndAnyCase) {
  EXPECT_TRUE(is_typing_notification(parse(message_text("application/im-iscomposing+xml", "<x/>"))));
  EXPECT_TRUE(
      is_typing_notification(parse(message_text("Application/IM-IsComposing+XML;charset=utf-8", "<x/>"))));
  EXPECT_FALSE(is_typing_notification(parse(message_text("text/plain", "hi"))));
  EXPECT_FALSE(is_typing_notification(parse(message_text("application/im-iscomposing", "<x/>"))));
  EXPECT_FALSE(is_typing_notification(parse(message_text("", ""))));
}

TEST(MessageRules, StoredFromKeepsTheHeadersAsReceived) {
  const auto request = parse(message_text("text/plain;charset=UTF-8", "hello"));
  const store::StoredMessage stored = stored_from(request, "sip:bob@example.com", 1'700'000'123);
  EXPECT_EQ(stored.id, 0u);
  EXPECT_EQ(stored.aor, "sip:bob@example.com");
  EXPECT_EQ(stored.from, "\"Alice\" <sip:alice@example.com>;tag=f1");
  EXPECT_EQ(stored.to, "<sip:bob@example.com>");
  EXPECT_EQ(stored.content_type, "text/plain;charset=UTF-8");
  EXPECT_EQ(stored.body, "hello");
  EXPECT_EQ(stored.submitted_at, 1'700'000'123);
}

store::StoredMessage stored_message() {
  store::StoredMessage message;
  message.id = 4;
  message.aor = "sip:bob@example.com";
  message.from = "\"Alice\" <sip:alice@example.com>;tag=f1";
  message.to = "\"Bob\" <sip:bob@example.com>;tag=t9;foo=bar";
  message.content_type = "message/cpim";
  message.body = std::string("bin\0ary", 7);
  message.submitted_at = 1'289'690'940;  // Sat, 13 Nov 2010 23:29:00 GMT
  return message;
}

TEST(MessageRules, DeliveryRequestCarriesTheOriginalAndTheSubmissionDate) {
  const auto built =
      delivery_request(stored_message(), {"sip:bob@10.0.0.2:5080;transport=tcp", {}, "new-call-id@osprey"});
  ASSERT_TRUE(built);
  const sip::Message& request = *built;
  EXPECT_EQ(request.method(), sip::Method::message);
  EXPECT_EQ(request.request_uri().text, "sip:bob@10.0.0.2:5080;transport=tcp");
  EXPECT_EQ(request.first_value(sip::HeaderId::from), "\"Alice\" <sip:alice@example.com>;tag=f1");
  EXPECT_EQ(request.first_value(sip::HeaderId::to), "\"Bob\" <sip:bob@example.com>;foo=bar");
  ASSERT_TRUE(request.to());
  EXPECT_TRUE(request.to()->tag().empty());
  EXPECT_EQ(request.call_id(), "new-call-id@osprey");
  ASSERT_TRUE(request.cseq());
  EXPECT_EQ(request.first_value(sip::HeaderId::cseq), "1 MESSAGE");
  EXPECT_EQ(request.max_forwards(), 70u);
  EXPECT_EQ(request.first_value(sip::HeaderId::date), sip::format_date(1'289'690'940));
  EXPECT_EQ(request.first_value(sip::HeaderId::date), "Sat, 13 Nov 2010 23:29:00 GMT");
  EXPECT_EQ(request.first_value(sip::HeaderId::content_type), "message/cpim");
  EXPECT_EQ(request.body(), std::string_view("bin\0ary", 7));
  EXPECT_EQ(request.count(sip::HeaderId::route), 0u);
  EXPECT_EQ(request.count(sip::HeaderId::via), 0u);
}

TEST(MessageRules, DeliveryRequestTurnsThePathIntoRoutes) {
  const auto built = delivery_request(
      stored_message(),
      {"sip:bob@10.0.0.2", {"<sip:edge1.example.net;lr>", "<sip:edge2.example.net;lr>"}, "c"});
  ASSERT_TRUE(built);
  std::vector<std::string> routes;
  built->for_each_line(sip::HeaderId::route, [&](std::string_view value) {
    routes.emplace_back(value);
    return true;
  });
  EXPECT_EQ(routes, (std::vector<std::string>{"<sip:edge1.example.net;lr>", "<sip:edge2.example.net;lr>"}));
}

TEST(MessageRules, WithoutTagKeepsEverythingElse) {
  EXPECT_EQ(without_tag("<sip:bob@example.com>;tag=1"), "<sip:bob@example.com>");
  EXPECT_EQ(without_tag("<sip:bob@example.com>;TAG=1;x=\"y\""), "<sip:bob@example.com>;x=\"y\"");
  EXPECT_EQ(without_tag("sip:bob@example.com"), "sip:bob@example.com");
}

}  // namespace
}  // namespace osprey::im
