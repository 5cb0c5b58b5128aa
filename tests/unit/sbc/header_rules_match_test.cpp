// One test per kind of match a header rule has: message kind, method, status, header present /
// absent, and a header value or URI part equal to / matching a regular expression.
#include "header_rules_test_support.hpp"

namespace osprey::sbc {
namespace {

using namespace test;

TEST(HeaderRulesMatchTest, EmptyMatchHoldsForEveryMessage) {
  EXPECT_TRUE(matches({}, kInvite));
  EXPECT_TRUE(matches({}, kRinging));
}

TEST(HeaderRulesMatchTest, MessageKindSeparatesRequestsFromResponses) {
  RuleMatch requests;
  requests.kind = MessageKind::request;
  EXPECT_TRUE(matches(requests, kInvite));
  EXPECT_FALSE(matches(requests, kRinging));
  RuleMatch responses;
  responses.kind = MessageKind::response;
  EXPECT_FALSE(matches(responses, kInvite));
  EXPECT_TRUE(matches(responses, kRinging));
}

TEST(HeaderRulesMatchTest, MethodsMatchTheRequestMethodOrTheCSeqMethodOfAResponse) {
  RuleMatch invite;
  invite.methods = {"INVITE"};
  EXPECT_TRUE(matches(invite, kInvite));
  EXPECT_TRUE(matches(invite, kRinging));  // CSeq: 314159 INVITE
  RuleMatch bye;
  bye.methods = {"BYE", "CANCEL"};
  EXPECT_FALSE(matches(bye, kInvite));
  EXPECT_FALSE(matches(bye, kRinging));
  RuleMatch lower;
  lower.methods = {"invite"};  // RFC 3261 §7.1: methods are case-sensitive
  EXPECT_FALSE(matches(lower, kInvite));
}

TEST(HeaderRulesMatchTest, StatusMatchesCodesAndClassesOfResponsesOnly) {
  RuleMatch ringing;
  ringing.statuses = {{180, 180}};
  EXPECT_TRUE(matches(ringing, kRinging));
  EXPECT_FALSE(matches(ringing, kInvite));
  RuleMatch provisional;
  provisional.statuses = {{100, 199}};
  EXPECT_TRUE(matches(provisional, kRinging));
  RuleMatch success;
  success.statuses = {{200, 299}, {183, 183}};
  EXPECT_FALSE(matches(success, kRinging));
}

TEST(HeaderRulesMatchTest, PresentAndAbsentHeadersByAnySpellingIncludingCompactForms) {
  RuleMatch present;
  present.present = {HeaderName::of("p-asserted-identity"), HeaderName::of("x-internal-route")};
  EXPECT_TRUE(matches(present, kInvite));
  EXPECT_FALSE(matches(present, kRinging));
  RuleMatch compact;
  compact.present = {HeaderName::of("m")};  // Contact, RFC 3261 §7.3.3
  EXPECT_TRUE(matches(compact, kInvite));
  RuleMatch absent;
  absent.absent = {HeaderName::of("Privacy")};
  EXPECT_TRUE(matches(absent, kInvite));
  absent.absent.push_back(HeaderName::of("User-Agent"));
  EXPECT_FALSE(matches(absent, kInvite));
}

TEST(HeaderRulesMatchTest, HeaderValueEqualsTheWholeValueExactly) {
  RuleMatch equal;
  equal.conditions = {when(field("X-Internal-Route"), "trunk7")};
  EXPECT_TRUE(matches(equal, kInvite));
  equal.conditions = {when(field("X-Internal-Route"), "trunk")};
  EXPECT_FALSE(matches(equal, kInvite));
  equal.conditions = {when(field("X-Absent"), "")};
  EXPECT_FALSE(matches(equal, kInvite));
}

TEST(HeaderRulesMatchTest, RegexIsSearchedNotAnchored) {
  RuleMatch search;
  search.conditions = {when(field("User-Agent"), std::nullopt, regex("PBX"))};
  EXPECT_TRUE(matches(search, kInvite));
  search.conditions = {when(field("User-Agent"), std::nullopt, regex("^1\\.0"))};
  EXPECT_FALSE(matches(search, kInvite));
}

TEST(HeaderRulesMatchTest, ConditionWithoutValueTestsThatThePartExists) {
  RuleMatch port;
  port.conditions = {when(field("From", HeaderPart::port), std::nullopt)};
  EXPECT_TRUE(matches(port, kInvite));  // sip:alice@pbx.internal:5070
  port.conditions = {when(field("To", HeaderPart::port), std::nullopt)};
  EXPECT_FALSE(matches(port, kInvite));
}

TEST(HeaderRulesMatchTest, NegateTurnsAConditionRound) {
  RuleMatch not_carrier;
  not_carrier.conditions = {when(field("From", HeaderPart::host), "carrier.example", nullptr, true)};
  EXPECT_TRUE(matches(not_carrier, kInvite));
  not_carrier.conditions = {when(field("From", HeaderPart::host), "pbx.internal", nullptr, true)};
  EXPECT_FALSE(matches(not_carrier, kInvite));
}

TEST(HeaderRulesMatchTest, RequestUriParts) {
  RuleMatch user;
  user.conditions = {when(field("Request-URI", HeaderPart::user), "02071234567"),
                     when(field("Request-URI", HeaderPart::host), "sbc.example.net"),
                     when(field("Request-URI", HeaderPart::uri_param, "user"), "phone")};
  EXPECT_TRUE(matches(user, kInvite));
  EXPECT_FALSE(matches(user, kRinging));  // a response has no Request-URI
  RuleMatch whole;
  whole.conditions = {when(field("Request-URI"), std::nullopt, regex("^sip:0\\d+@"))};
  EXPECT_TRUE(matches(whole, kInvite));
}

TEST(HeaderRulesMatchTest, NameAddrParts) {
  RuleMatch parts;
  parts.conditions = {when(field("From", HeaderPart::user), "alice"),
                      when(field("From", HeaderPart::host), "pbx.internal"),
                      when(field("From", HeaderPart::port), "5070"),
                      when(field("From", HeaderPart::uri_param, "transport"), "udp"),
                      when(field("From", HeaderPart::display_name), "Alice"),
                      when(field("From", HeaderPart::header_param, "tag"), "1928301774"),
                      when(field("From", HeaderPart::uri), "sip:alice@pbx.internal:5070;transport=udp"),
                      when(field("Diversion", HeaderPart::header_param, "reason"), "unconditional")};
  EXPECT_TRUE(matches(parts, kInvite));
  parts.conditions.push_back(when(field("P-Asserted-Identity", HeaderPart::display_name), "Alice"));
  EXPECT_FALSE(matches(parts, kInvite));  // it is "Alice Smith"
}

TEST(HeaderRulesMatchTest, EveryElementOfAListHeaderIsLookedAt) {
  const char* two_contacts =
      "REGISTER sip:example.net SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\r\n"
      "To: <sip:bob@example.net>\r\nFrom: <sip:bob@example.net>;tag=1\r\n"
      "Call-ID: 1@x\r\nCSeq: 1 REGISTER\r\n"
      "Contact: <sip:bob@10.0.0.5>, <sip:bob@198.51.100.7:5062>\r\n"
      "Content-Length: 0\r\n\r\n";
  RuleMatch second;
  second.conditions = {when(field("Contact", HeaderPart::host), "198.51.100.7")};
  EXPECT_TRUE(matches(second, two_contacts));
}

TEST(HeaderRulesMatchTest, TelUriUserIsItsNumber) {
  const char* tel =
      "INVITE tel:+442071234567 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\r\n"
      "To: <tel:+442071234567>\r\nFrom: <sip:bob@example.net>;tag=1\r\n"
      "Call-ID: 1@x\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@10.0.0.5>\r\n"
      "Content-Length: 0\r\n\r\n";
  RuleMatch number;
  number.conditions = {when(field("Request-URI", HeaderPart::user), std::nullopt, regex("^\\+44"))};
  EXPECT_TRUE(matches(number, tel));
  number.conditions = {when(field("Request-URI", HeaderPart::host), std::nullopt)};
  EXPECT_FALSE(matches(number, tel));  // a tel URI has no host
}

TEST(HeaderRulesMatchTest, CapturesAreNumberedAcrossConditionsInOrder) {
  RuleMatch match;
  match.conditions = {when(field("Request-URI", HeaderPart::user), std::nullopt, regex("^0(\\d{2})(\\d+)$")),
                      when(field("From", HeaderPart::user), std::nullopt, regex("^(a)lic(e)$"))};
  sip::Message message =
      applied({rule(match, {action(ActionKind::add, field("X-Groups"), "$1|$2|$3|$4|$$")})});
  EXPECT_EQ(value_of(message, "X-Groups"), "20|71234567|a|e|$");
}

TEST(HeaderRulesMatchTest, ANegatedRegexConditionKeepsTheNumberingOfLaterGroups) {
  RuleMatch match;
  match.conditions = {when(field("User-Agent"), std::nullopt, regex("^(Carrier)"), true),
                      when(field("From", HeaderPart::user), std::nullopt, regex("^(al)"))};
  sip::Message message = applied({rule(match, {action(ActionKind::add, field("X-Groups"), "[$1][$2]")})});
  EXPECT_EQ(value_of(message, "X-Groups"), "[][al]");
}

TEST(HeaderRulesMatchTest, LaterRulesSeeWhatEarlierRulesDid) {
  RuleMatch second;
  second.conditions = {when(field("X-Step"), "one")};
  sip::Message message =
      applied({rule({}, {action(ActionKind::add, field("X-Step"), "one")}), rule(second, {mark()})});
  EXPECT_TRUE(matched(message));
}

}  // namespace
}  // namespace osprey::sbc
