#include "sbc/sdp_address_rewrite.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace osprey::sbc {
namespace {

constexpr std::string_view kOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 10.0.0.5\r\n"
    "s=-\r\n"
    "c=IN IP4 10.0.0.5\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "c=IN IP4 10.0.0.6\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

TEST(SdpAddressRewriteTest, RewritesOriginAndConnectionAddresses) {
  std::vector<SdpAddressRule> rules{{"10.0.0.5", "203.0.113.7"}};
  auto result = rewrite_sdp_addresses(kOffer, rules);
  EXPECT_EQ(result.rewritten, 2u);
  EXPECT_EQ(result.body,
            "v=0\r\n"
            "o=alice 2890844526 2890844526 IN IP4 203.0.113.7\r\n"
            "s=-\r\n"
            "c=IN IP4 203.0.113.7\r\n"
            "t=0 0\r\n"
            "m=audio 49170 RTP/AVP 0\r\n"
            "c=IN IP4 10.0.0.6\r\n"
            "a=rtpmap:0 PCMU/8000\r\n");
}

TEST(SdpAddressRewriteTest, WildcardIpv6TargetMulticastSuffixAndBareLf) {
  std::vector<SdpAddressRule> rules{{"*", "2001:db8::7"}};
  auto result = rewrite_sdp_addresses("v=0\no=- 1 1 IN IP4 10.0.0.5\nc=IN IP4 224.2.1.1/127/3\n", rules);
  EXPECT_EQ(result.rewritten, 2u);
  EXPECT_EQ(result.body, "v=0\no=- 1 1 IN IP6 2001:db8::7\nc=IN IP6 2001:db8::7/127/3\n");
}

TEST(SdpAddressRewriteTest, FirstMatchingRuleWinsAndCaseIsIgnored) {
  std::vector<SdpAddressRule> rules{{"PBX.INTERNAL", "203.0.113.7"}, {"*", "192.0.2.1"}};
  auto result = rewrite_sdp_addresses("c=IN IP4 pbx.internal\r\nc=IN IP4 10.1.1.1\r\n", rules);
  EXPECT_EQ(result.body, "c=IN IP4 203.0.113.7\r\nc=IN IP4 192.0.2.1\r\n");
}

// Lines that are not what RFC 8866 §5.2/§5.7 say are left alone; a rule cannot inject.
TEST(SdpAddressRewriteTest, MalformedLinesAndHostileRulesAreLeftAlone) {
  std::vector<SdpAddressRule> rules{{"*", "203.0.113.7"}};
  std::string_view odd =
      "o=too few fields\r\n"
      "c=ATM NSAP 47.0005\r\n"
      "c=IN IP4 10.0.0.5 extra\r\n"
      "c=IN IP4\r\n"
      "c=\r\n"
      "x=IN IP4 10.0.0.5\r\n"
      "c=IN IP4 10.0.0.5";  // no line ending at the end: still rewritten, still none added
  auto result = rewrite_sdp_addresses(odd, rules);
  EXPECT_EQ(result.rewritten, 1u);
  EXPECT_EQ(result.body.substr(0, odd.size() - 17), odd.substr(0, odd.size() - 17));
  EXPECT_TRUE(result.body.ends_with("c=IN IP4 203.0.113.7"));

  std::vector<SdpAddressRule> injecting{{"*", "1.2.3.4\r\na=inject"}, {"*", ""}, {"*", "1.2.3.4 IN"}};
  auto untouched = rewrite_sdp_addresses(kOffer, injecting);
  EXPECT_EQ(untouched.rewritten, 0u);
  EXPECT_EQ(untouched.body, kOffer);
}

TEST(SdpAddressRewriteTest, HugeBodiesAreBounded) {
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "c=IN IP4 10.0.0.5\r\n";
  std::vector<SdpAddressRule> rules{{"10.0.0.5", "203.0.113.7"}};
  auto result = rewrite_sdp_addresses(many, rules);
  EXPECT_EQ(result.rewritten, 3000u);
  std::string too_big(kMaxSdpBodyLength + 1, 'x');
  EXPECT_EQ(rewrite_sdp_addresses(too_big, rules).body, too_big);
  EXPECT_EQ(rewrite_sdp_addresses(kOffer, {}).body, kOffer);
}

}  // namespace
}  // namespace osprey::sbc
