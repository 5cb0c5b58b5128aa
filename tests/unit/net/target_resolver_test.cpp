// Where a request for a URI goes (RFC 3261 §18.1.1, §19.1.2, RFC 3263 §4.1/§4.2).
#include "net/target_resolver.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "recording_listener.hpp"

namespace osprey::net {
namespace {

tl::expected<UriTarget, std::string> target_for(std::string_view text) {
  auto uri = sip::parse_uri(text);
  EXPECT_TRUE(uri) << text;
  return target_of(*uri);
}

TEST(TargetOf, SipDefaultsToUdpOn5060) {
  auto target = target_for("sip:bob@example.com");
  ASSERT_TRUE(target) << target.error();
  EXPECT_EQ(target->protocol, Protocol::udp);
  EXPECT_EQ(target->host, "example.com");
  EXPECT_EQ(target->port, 5060);
  EXPECT_FALSE(target->host_is_address);
}

TEST(TargetOf, SipsMeansTlsOn5061) {
  auto target = target_for("sips:bob@example.com");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->protocol, Protocol::tls);
  EXPECT_EQ(target->port, 5061);
}

TEST(TargetOf, TransportParameterChoosesTheProtocol) {
  EXPECT_EQ(target_for("sip:bob@example.com;transport=tcp")->protocol, Protocol::tcp);
  EXPECT_EQ(target_for("sip:bob@example.com;transport=TLS")->protocol, Protocol::tls);
  EXPECT_EQ(target_for("sip:bob@example.com;transport=tls")->port, 5061);
  // §26.2.2: sips over "tcp" is TLS over TCP.
  EXPECT_EQ(target_for("sips:bob@example.com;transport=tcp")->protocol, Protocol::tls);
}

// RFC 7118: ws and wss, on the WebSocket ports when the URI gives none (RFC 7118 names none
// for sip:); sips: over WebSocket is WSS.
TEST(TargetOf, WebSocketTransports) {
  EXPECT_EQ(target_for("sip:192.0.2.7;transport=ws")->protocol, Protocol::ws);
  EXPECT_EQ(target_for("sip:192.0.2.7;transport=WS")->port, 80);
  EXPECT_EQ(target_for("sip:192.0.2.7;transport=wss")->protocol, Protocol::wss);
  EXPECT_EQ(target_for("sip:192.0.2.7;transport=wss")->port, 443);
  EXPECT_EQ(target_for("sips:192.0.2.7;transport=ws")->protocol, Protocol::wss);
  EXPECT_EQ(target_for("sip:192.0.2.7:8080;transport=ws")->port, 8080);
}

// RFC 7118 §5, RFC 6761 §6.4: a WebSocket client's made-up .invalid host is never looked up.
TEST(TargetOf, InvalidHostIsNeverResolved) {
  EXPECT_FALSE(target_for("sip:alice@df7jal23ls0d.invalid;transport=ws"));
  EXPECT_FALSE(target_for("sip:alice@DF7JAL23LS0D.INVALID"));
  EXPECT_FALSE(target_for("sip:alice@x.invalid.;transport=tcp"));
  EXPECT_TRUE(target_for("sip:alice@invalid.example.com"));
}

TEST(TargetOf, RefusesWhatCannotBeSent) {
  EXPECT_FALSE(target_for("sip:bob@example.com;transport=sctp"));
  EXPECT_FALSE(target_for("sips:bob@example.com;transport=udp"));
  EXPECT_FALSE(target_for("tel:+15551234567"));
}

TEST(TargetOf, ExplicitPortAndLiterals) {
  auto v4 = target_for("sip:192.0.2.7:5080");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->host_is_address);
  EXPECT_EQ(v4->port, 5080);
  auto v6 = target_for("sip:bob@[2001:db8::1]:5070;transport=tcp");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "2001:db8::1");  // brackets are URI syntax, not part of the address
  EXPECT_TRUE(v6->host_is_address);
  EXPECT_EQ(v6->protocol, Protocol::tcp);
}

TEST(TargetOf, MaddrOverridesTheHost) {
  auto target = target_for("sip:bob@example.com;maddr=192.0.2.9");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->host, "192.0.2.9");
  EXPECT_TRUE(target->host_is_address);
}

class TargetResolverTest : public ::testing::Test {
 protected:
  std::optional<tl::expected<ResolvedTarget, std::string>> resolve(std::string_view text,
                                                                   std::chrono::milliseconds deadline) {
    auto uri = sip::parse_uri(text);
    EXPECT_TRUE(uri);
    std::optional<tl::expected<ResolvedTarget, std::string>> result;
    resolver_.resolve(*uri, [&](tl::expected<ResolvedTarget, std::string> r) { result = std::move(r); });
    testing::run_until(
        io_context_, [&] { return result.has_value(); }, deadline);
    return result;
  }

  boost::asio::io_context io_context_;
  TargetResolver resolver_{io_context_};
};

TEST_F(TargetResolverTest, LiteralNeedsNoLookup) {
  auto result = resolve("sip:127.0.0.1:5099;transport=tcp", std::chrono::seconds(2));
  ASSERT_TRUE(result && *result);
  ASSERT_EQ((*result)->hops.size(), 1u);
  EXPECT_EQ((*result)->hops[0].endpoint, (Endpoint{boost::asio::ip::make_address("127.0.0.1"), 5099}));
  EXPECT_EQ((*result)->hops[0].protocol, Protocol::tcp);
  EXPECT_TRUE((*result)->server_name.empty());
}

TEST_F(TargetResolverTest, ErrorsComeThroughTheCallback) {
  auto result = resolve("sip:bob@example.com;transport=sctp", std::chrono::seconds(2));
  ASSERT_TRUE(result);
  EXPECT_FALSE(*result);
}

TEST_F(TargetResolverTest, LocalhostResolvesToLoopback) {
  auto result = resolve("sips:localhost:5999", std::chrono::seconds(10));
  ASSERT_TRUE(result) << "no answer from the system resolver within 10 s";
  ASSERT_TRUE(*result) << (*result).error();
  EXPECT_EQ((*result)->server_name, "localhost");
  ASSERT_FALSE((*result)->hops.empty());
  for (const ResolvedHop& hop : (*result)->hops) {
    EXPECT_EQ(hop.protocol, Protocol::tls);
    EXPECT_TRUE(hop.endpoint.address.is_loopback()) << to_string(hop.endpoint);
    EXPECT_EQ(hop.endpoint.port, 5999);
  }
}

TEST_F(TargetResolverTest, InvalidNameIsAnError) {
  // RFC 6761 §6.4: names under .invalid never resolve.
  auto result = resolve("sip:bob@host.invalid", std::chrono::seconds(20));
  if (!result) GTEST_SKIP() << "the system resolver did not answer within 20 s";
  EXPECT_FALSE(*result);
}

}  // namespace
}  // namespace osprey::net
