// Which [[dialplan.route]] a number takes and what leaves toward the trunk.
#include "sbc/trunk_routing.hpp"

#include <gtest/gtest.h>

namespace osprey::sbc {
namespace {

std::vector<TrunkRoute> routes() {
  TrunkRoute premium;
  premium.prefix = "+1900";
  premium.trunks = {"premium"};
  TrunkRoute national;
  national.prefix = "0";
  national.strip = 1;
  national.prepend = "+44";
  national.trunks = {"carrier"};
  TrunkRoute pstn_domain;
  pstn_domain.domain = "pstn.example.com";
  pstn_domain.trunks = {"backup"};
  return {premium, national, pstn_domain};
}

std::optional<RouteMatch> match(std::string_view uri_text) {
  static const std::vector<TrunkRoute> table = routes();
  auto uri = sip::parse_uri(uri_text);
  EXPECT_TRUE(uri.has_value()) << uri_text;
  return uri ? match_route(table, *uri) : std::nullopt;
}

TEST(TrunkRoutingTest, ANumberTakesTheFirstMatchingRouteWithStripAndPrepend) {
  auto national = match("sip:02079460123@pbx.example.com");
  ASSERT_TRUE(national);
  EXPECT_EQ(national->route->trunks.front(), "carrier");
  EXPECT_EQ(national->number, "+442079460123");
  auto premium = match("tel:+1-900-555-0123");
  ASSERT_TRUE(premium);
  EXPECT_EQ(premium->route->trunks.front(), "premium");
  EXPECT_EQ(premium->number, "+19005550123");
  auto by_domain = match("sip:+33123456789@PSTN.example.com");
  ASSERT_TRUE(by_domain);
  EXPECT_EQ(by_domain->route->trunks.front(), "backup");
  EXPECT_FALSE(match("sip:+33123456789@other.example.com"));
}

TEST(TrunkRoutingTest, RoutesSeeTheNumberTheDialPolicyJudgedNotTheRawUser) {
  // Escapes and visual separators are read as the dial policy reads them, once: what leaves is
  // the plain number, never escaped twice.
  auto escaped = match("sip:0%32%30%37946-0123@pbx.example.com");
  ASSERT_TRUE(escaped);
  EXPECT_EQ(escaped->number, "+442079460123");
  // A user the dial policy cannot read as a number matches no route: it could not have been
  // judged, so it must not reach a trunk (toll fraud through "+1900...;x=1", "%3B", '#', ',').
  EXPECT_FALSE(match("sip:+1900555123;x=1@pbx.example.com"));
  EXPECT_FALSE(match("sip:+1900555123%3B@pbx.example.com"));
  EXPECT_FALSE(match("sip:+972599950423%23@pbx.example.com"));
  EXPECT_FALSE(match("sip:+44,972599950423@pbx.example.com"));
  EXPECT_FALSE(match("sip:+44p972599950423@pbx.example.com"));
  EXPECT_FALSE(match("sip:alice@pstn.example.com"));
}

TEST(TrunkRoutingTest, TheTrunkRequestUriCarriesTheNumberAtThePeer) {
  EXPECT_EQ(trunk_request_uri("sip:sip.carrier.example:5080;transport=tcp", "+442079460123"),
            "sip:+442079460123@sip.carrier.example:5080;transport=tcp");
  EXPECT_FALSE(trunk_request_uri("tel:+1", "+1"));
}

}  // namespace
}  // namespace osprey::sbc
