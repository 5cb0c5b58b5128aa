// RFC 3261 §19.1.4: the URI comparison rules, checked with every example the section gives.

#include <gtest/gtest.h>

#include <string_view>

#include "sip/uri.hpp"

namespace osprey::sip {
namespace {

// Both orders: equivalence is symmetric.
::testing::AssertionResult equivalent(std::string_view a, std::string_view b) {
  auto ua = parse_uri(a);
  auto ub = parse_uri(b);
  if (!ua) return ::testing::AssertionFailure() << a << " does not parse: " << ua.error().reason;
  if (!ub) return ::testing::AssertionFailure() << b << " does not parse: " << ub.error().reason;
  const bool ab = uri_equivalent(*ua, *ub);
  const bool ba = uri_equivalent(*ub, *ua);
  if (ab != ba)
    return ::testing::AssertionFailure() << a << " and " << b << " compare differently in each order";
  if (ab) return ::testing::AssertionSuccess() << a << " is equivalent to " << b;
  return ::testing::AssertionFailure() << a << " is not equivalent to " << b;
}

TEST(UriEquivalence, Rfc3261EquivalentSets) {
  // Escaped unreserved characters, host case, parameter name and value case.
  EXPECT_TRUE(equivalent("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
  // A parameter in only one URI is ignored (but user, ttl, method, maddr, transport).
  EXPECT_TRUE(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  EXPECT_TRUE(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(equivalent("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
  // The order of parameters and of headers does not matter.
  EXPECT_TRUE(equivalent("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                         "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
  EXPECT_TRUE(equivalent("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                         "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
}

TEST(UriEquivalence, Rfc3261NotEquivalentSets) {
  // Different usernames: userinfo is case-sensitive.
  EXPECT_FALSE(equivalent("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
  // Can resolve to different ports.
  EXPECT_FALSE(equivalent("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
  // Can resolve to different transports.
  EXPECT_FALSE(equivalent("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  // Can resolve to different port and transports.
  EXPECT_FALSE(equivalent("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
  // Different header component.
  EXPECT_FALSE(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
  // Even though that is what phone21.boxesbybob.com resolves to.
  EXPECT_FALSE(equivalent("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
}

TEST(UriEquivalence, Rfc3261EqualityIsNotTransitive) {
  EXPECT_TRUE(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(equivalent("sip:carol@chicago.com", "sip:carol@chicago.com;security=off"));
  EXPECT_FALSE(equivalent("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
}

}  // namespace
}  // namespace osprey::sip
