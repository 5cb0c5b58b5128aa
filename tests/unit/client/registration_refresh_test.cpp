#include "client/registration_refresh.hpp"

#include <gtest/gtest.h>

namespace osprey::client {
namespace {

sip::Message ok(const std::string& headers) {
  auto parsed = sip::Message::parse(
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
      "From: <sip:bob@example.com>;tag=a1\r\n"
      "To: <sip:bob@example.com>;tag=r1\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 REGISTER\r\n" +
      headers + "Content-Length: 0\r\n\r\n");
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().reason);
  return std::move(*parsed);
}

constexpr std::string_view kOurs = "sip:osprey@127.0.0.1:5070";

TEST(RegistrationRefresh, GrantedIsOurContactsExpiresParameter) {
  // RFC 3261 §10.2.4: every binding is listed, each with its own expires.
  const auto response =
      ok("Contact: <sip:other@127.0.0.1:9>;expires=30\r\nContact: <sip:osprey@127.0.0.1:5070>;expires=600\r\n"
         "Expires: 7200\r\n");
  EXPECT_EQ(granted_expires(response, kOurs, 3600), 600u);
}

TEST(RegistrationRefresh, GrantedFallsBackToExpiresThenToWhatWasAsked) {
  EXPECT_EQ(granted_expires(ok("Contact: <sip:osprey@127.0.0.1:5070>\r\nExpires: 120\r\n"), kOurs, 3600),
            120u);
  EXPECT_EQ(granted_expires(ok(""), kOurs, 3600), 3600u);
}

TEST(RegistrationRefresh, IntervalIsHalfTheGrantedTime) {
  EXPECT_EQ(refresh_interval(3600, net::Protocol::udp), std::chrono::seconds(1800));
  EXPECT_EQ(refresh_interval(60, net::Protocol::udp), std::chrono::seconds(30));
  EXPECT_EQ(refresh_interval(1, net::Protocol::udp), std::chrono::seconds(1));
  EXPECT_EQ(refresh_interval(0, net::Protocol::udp), std::chrono::seconds(1));
}

TEST(RegistrationRefresh, StreamsRefreshBeforeTheIdleTimeout) {
  EXPECT_EQ(refresh_interval(3600, net::Protocol::tcp), kStreamRefreshLimit);
  EXPECT_EQ(refresh_interval(3600, net::Protocol::tls), kStreamRefreshLimit);
  EXPECT_EQ(refresh_interval(60, net::Protocol::tls), std::chrono::seconds(30));
}

}  // namespace
}  // namespace osprey::client
