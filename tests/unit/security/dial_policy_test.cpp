#include "security/dial_policy.hpp"

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

std::optional<std::string> number_of(std::string_view text) {
  auto uri = sip::parse_uri(text);
  EXPECT_TRUE(uri) << text << ": " << uri.error().reason;
  if (!uri) return std::nullopt;
  return dialled_number(*uri);
}

TEST(DialledNumber, TelUriLosesVisualSeparators) {
  EXPECT_EQ(number_of("tel:+1-201-555-0123"), "+12015550123");
  EXPECT_EQ(number_of("tel:(0)30.1234;phone-context=+49"), "0301234");
}

TEST(DialledNumber, UserPhoneUnescapesAndDropsSpacesAndSubscriberParameters) {
  // A space is not allowed in a user part: clients escape it.
  EXPECT_EQ(number_of("sip:+44%2020%207946%200958@gw.example.com;user=phone"), "+442079460958");
  EXPECT_EQ(number_of("sips:+1-212-555-1212;postd=pp22@gw.example.com;user=phone"), "+12125551212");
  EXPECT_EQ(number_of("sip:12@gw.example.com;user=phone"), "12");  // user=phone says it is a number
}

TEST(DialledNumber, NumericUserPartWithoutUserPhone) {
  EXPECT_EQ(number_of("sip:011972599950423@example.com"), "011972599950423");
  EXPECT_EQ(number_of("sip:+972-59-995-0423@example.com"), "+972599950423");
}

TEST(DialledNumber, NotATelephoneNumber) {
  EXPECT_EQ(number_of("sip:alice@example.com"), std::nullopt);
  EXPECT_EQ(number_of("sip:12@example.com"), std::nullopt);  // an extension: too short
  EXPECT_EQ(number_of("sip:example.com"), std::nullopt);
  EXPECT_EQ(number_of("sip:0119+72@example.com"), std::nullopt);  // '+' only first
  EXPECT_EQ(number_of("sip:*67011972599950423@example.com"), std::nullopt);
  EXPECT_EQ(number_of("mailto:011972599950423@example.com"), std::nullopt);
}

constexpr std::string_view kAlice = "sip:alice@example.com";
constexpr std::string_view kBob = "sip:bob@example.com";

DialPolicyConfig with_group(std::vector<std::string> allow) {
  DialPolicyConfig config;
  config.groups.push_back({"intl", {std::string(kAlice)}, std::move(allow)});
  return config;
}

TEST(DialPolicy, InternationalDeniedByDefaultHoweverDialled) {
  const DialPolicy policy{DialPolicyConfig{}};
  for (std::string_view number : {"011972599950423", "9011972599950423", "00972599950423", "+972599950423",
                                  "900972599950423", "90011972599950423"}) {
    SCOPED_TRACE(std::string(number));
    const DialDecision decision = policy.check(kAlice, number);
    EXPECT_FALSE(decision.allowed);
    EXPECT_NE(decision.reason.find("not allowed for sip:alice@example.com"), std::string::npos)
        << decision.reason;
  }
  EXPECT_EQ(policy.check(kAlice, "9011972599950423").reason,
            "international prefix 9011 not allowed for sip:alice@example.com");
}

TEST(DialPolicy, PlusAllowPrefixCoversEveryInternationalPrefix) {
  const DialPolicy policy{with_group({"+972"})};
  for (std::string_view number : {"+972599950423", "00972599950423", "011972599950423", "9011972599950423"}) {
    SCOPED_TRACE(std::string(number));
    const DialDecision decision = policy.check(kAlice, number);
    EXPECT_TRUE(decision.allowed) << decision.reason;
    EXPECT_EQ(decision.reason, "allowed prefix +972 (group intl)");
  }
  EXPECT_FALSE(policy.check(kAlice, "011441234567890").allowed);  // another country
  EXPECT_FALSE(policy.check(kBob, "011972599950423").allowed);    // not a member
}

TEST(DialPolicy, DirectAllowPrefixMatchesOnlyAsDialled) {
  const DialPolicy policy{with_group({"011972"})};
  EXPECT_TRUE(policy.check(kAlice, "011972599950423").allowed);
  EXPECT_FALSE(policy.check(kAlice, "9011972599950423").allowed);
  EXPECT_FALSE(policy.check(kAlice, "+972599950423").allowed);
}

TEST(DialPolicy, ShorterAllowPrefixDoesNotOpenLongerInternationalPrefix) {
  // Allowing "9" (the outside line, for national calls) must not allow 9 + 011.
  const DialPolicy policy{with_group({"9"})};
  EXPECT_TRUE(policy.check(kAlice, "92015550123").allowed);
  EXPECT_FALSE(policy.check(kAlice, "9011972599950423").allowed);
  // Allow "+" opens every international number, whatever prefix dials it.
  const DialPolicy open{with_group({"+"})};
  EXPECT_TRUE(open.check(kAlice, "9011972599950423").allowed);
  EXPECT_TRUE(open.check(kAlice, "+972599950423").allowed);
}

TEST(DialPolicy, DenyWinsOverAllow) {
  DialPolicyConfig config = with_group({"+", "1900"});
  config.deny.push_back("+88213");  // a satellite range
  const DialPolicy policy{config};
  EXPECT_EQ(policy.check(kAlice, "19005550123").reason, "denied prefix 1900");
  EXPECT_FALSE(policy.check(kAlice, "19005550123").allowed);
  // "+1900" also matches the number dialled through an international prefix.
  EXPECT_FALSE(policy.check(kAlice, "0111900555012").allowed);
  EXPECT_FALSE(policy.check(kAlice, "0088213123456").allowed);
  EXPECT_TRUE(policy.check(kAlice, "0088216123456").allowed);
}

TEST(DialPolicy, NationalNumbers) {
  const DialPolicy policy{DialPolicyConfig{}};
  const DialDecision decision = policy.check(kBob, "2015550123");
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.reason, "national number");

  DialPolicyConfig closed = with_group({"201"});
  closed.allow_national = false;
  const DialPolicy strict{closed};
  EXPECT_FALSE(strict.check(kBob, "2015550123").allowed);
  EXPECT_EQ(strict.check(kBob, "2015550123").reason, "national numbers not allowed for sip:bob@example.com");
  EXPECT_TRUE(strict.check(kAlice, "2015550123").allowed);
  EXPECT_FALSE(strict.check(kAlice, "3015550123").allowed);
}

TEST(DialPolicy, CreateValidatesPrefixesAndMembers) {
  EXPECT_TRUE(DialPolicy::create(with_group({"+972", "011"})));

  DialPolicyConfig bad_international;
  bad_international.international = {"01+1"};
  EXPECT_FALSE(DialPolicy::create(bad_international));

  DialPolicyConfig empty_deny;
  empty_deny.deny = {""};
  EXPECT_FALSE(DialPolicy::create(empty_deny));

  EXPECT_FALSE(DialPolicy::create(with_group({"+97a"})));

  DialPolicyConfig not_canonical;
  not_canonical.groups.push_back({"intl", {"sip:alice@Example.COM;transport=tcp"}, {"+972"}});
  const auto refused = DialPolicy::create(not_canonical);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("sip:alice@example.com"), std::string::npos) << refused.error();

  DialPolicyConfig not_sip;
  not_sip.groups.push_back({"intl", {"alice"}, {"+972"}});
  EXPECT_FALSE(DialPolicy::create(not_sip));

  DialPolicyConfig unnamed;
  unnamed.groups.push_back({"", {std::string(kAlice)}, {"+972"}});
  EXPECT_FALSE(DialPolicy::create(unnamed));
}

}  // namespace
}  // namespace osprey::security
