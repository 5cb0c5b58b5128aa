// The judgement of a WebSocket upgrade request (RFC 6455 §4.2.1, RFC 7118 §4.1) and the UTF-8
// check that picks text or binary frames (RFC 6455 §5.6).

#include <gtest/gtest.h>

#include "net/utf8_text.hpp"
#include "net/websocket_upgrade.hpp"

namespace osprey::net {
namespace {

namespace http = boost::beast::http;

http::request<http::empty_body> upgrade(std::string_view protocols = "sip", std::string_view origin = {}) {
  http::request<http::empty_body> request(http::verb::get, "/", 11);
  request.set(http::field::host, "example.com");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  request.set(http::field::sec_websocket_version, "13");
  if (!protocols.empty()) request.set(http::field::sec_websocket_protocol, std::string(protocols));
  if (!origin.empty()) request.set(http::field::origin, std::string(origin));
  return request;
}

TEST(WebSocketUpgrade, SipMustBeAmongTheOfferedSubprotocols) {
  EXPECT_TRUE(offers_sip_subprotocol("sip"));
  EXPECT_TRUE(offers_sip_subprotocol("chat, sip"));
  EXPECT_TRUE(offers_sip_subprotocol(" sip ,chat"));
  EXPECT_FALSE(offers_sip_subprotocol(""));
  EXPECT_FALSE(offers_sip_subprotocol("sips"));
  EXPECT_FALSE(offers_sip_subprotocol("SIP"));  // RFC 6455 §4.1: tokens compare exactly
  EXPECT_FALSE(offers_sip_subprotocol("chat,,x-sip"));

  const WebSocketPolicy policy;
  EXPECT_FALSE(judge_upgrade(upgrade("sip"), policy));
  auto refused = judge_upgrade(upgrade(""), policy);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400u);
  // The field may come twice (RFC 7230 §3.2.2).
  auto twice = upgrade("chat");
  twice.insert(http::field::sec_websocket_protocol, "sip");
  EXPECT_FALSE(judge_upgrade(twice, policy));
}

TEST(WebSocketUpgrade, OnlyAWebSocketGetIsUpgraded) {
  const WebSocketPolicy policy;
  auto post = upgrade();
  post.method(http::verb::post);
  ASSERT_TRUE(judge_upgrade(post, policy));
  EXPECT_EQ(judge_upgrade(post, policy)->status, 405u);
  auto plain = upgrade();
  plain.erase(http::field::upgrade);
  ASSERT_TRUE(judge_upgrade(plain, policy));
  EXPECT_EQ(judge_upgrade(plain, policy)->status, 426u);
}

TEST(WebSocketUpgrade, AnOriginIsAllowedOnlyWhenListed) {
  const WebSocketPolicy none;
  const WebSocketPolicy listed{{"https://phone.example.com", "http://localhost:8080"}};
  const WebSocketPolicy any{{"*"}};
  // No Origin: not a browser page, judged by nothing here.
  EXPECT_FALSE(judge_upgrade(upgrade("sip"), none));
  ASSERT_TRUE(judge_upgrade(upgrade("sip", "https://phone.example.com"), none));
  EXPECT_EQ(judge_upgrade(upgrade("sip", "https://phone.example.com"), none)->status, 403u);
  EXPECT_FALSE(judge_upgrade(upgrade("sip", "https://phone.example.com"), listed));
  EXPECT_FALSE(judge_upgrade(upgrade("sip", "HTTP://LOCALHOST:8080"), listed));
  EXPECT_TRUE(judge_upgrade(upgrade("sip", "http://localhost:8081"), listed));
  EXPECT_TRUE(judge_upgrade(upgrade("sip", "https://phone.example.com.evil.example"), listed));
  EXPECT_TRUE(judge_upgrade(upgrade("sip", "null"), listed));  // a sandboxed or file: page
  EXPECT_FALSE(judge_upgrade(upgrade("sip", "https://anything.example"), any));
}

TEST(Utf8Text, WellFormedUtf8Only) {
  EXPECT_TRUE(is_utf8_text("INVITE sip:bob@example.com SIP/2.0\r\n"));
  EXPECT_TRUE(is_utf8_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_utf8_text("\xff"));
  EXPECT_FALSE(is_utf8_text("\xc3"));              // cut short
  EXPECT_FALSE(is_utf8_text("\xc0\xaf"));          // overlong
  EXPECT_FALSE(is_utf8_text("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_utf8_text("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_utf8_text("\xe2\x28\xa1"));      // a bad continuation byte
}

}  // namespace
}  // namespace osprey::net
