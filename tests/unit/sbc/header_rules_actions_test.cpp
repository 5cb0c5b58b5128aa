// One test per header rule action, on an INVITE from a PBX going to a carrier.
#include "header_rules_test_support.hpp"

namespace osprey::sbc {
namespace {

using namespace test;

TEST(HeaderRulesActionsTest, AddAppendsAHeader) {
  sip::Message message = applied({rule({}, {action(ActionKind::add, field("X-Carrier-Account"), "4471")})});
  EXPECT_EQ(value_of(message, "X-Carrier-Account"), "4471");
  EXPECT_EQ(message.fields()[message.fields().size() - 1].id, sip::HeaderId::other);  // the last line
}

TEST(HeaderRulesActionsTest, RemoveTakesAllLinesOrOnlyThoseMatching) {
  sip::Message all = applied({rule({}, {action(ActionKind::remove, field("x-internal-route"))})});
  EXPECT_FALSE(all.first_value("X-Internal-Route"));
  const char* two =
      "OPTIONS sip:x@example.net SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\r\n"
      "To: <sip:x@example.net>\r\nFrom: <sip:y@example.net>;tag=1\r\nCall-ID: 1@x\r\nCSeq: 1 OPTIONS\r\n"
      "X-Trace: internal-7\r\nX-Trace: public-1\r\nContent-Length: 0\r\n\r\n";
  sip::Message some =
      applied({rule({}, {action(ActionKind::remove, field("X-Trace"), "", regex("^internal"))})}, two);
  EXPECT_EQ(value_of(some, "X-Trace"), "public-1");
  EXPECT_EQ(some.serialize().find("internal-7"), std::string::npos);
}

TEST(HeaderRulesActionsTest, ReplaceSetsTheValueOrRewritesEachMatch) {
  sip::Message whole = applied({rule({}, {action(ActionKind::replace, field("User-Agent"), "osprey")})});
  EXPECT_EQ(value_of(whole, "User-Agent"), "osprey");
  sip::Message by_regex =
      applied({rule({}, {action(ActionKind::replace, field("X-Internal-Route"), "[$1]", regex("(\\d)"))})});
  EXPECT_EQ(value_of(by_regex, "X-Internal-Route"), "trunk[7]");
  sip::Message absent = applied({rule({}, {action(ActionKind::replace, field("Subject"), "x")})});
  EXPECT_FALSE(absent.first_value("Subject"));  // replace does not add
}

TEST(HeaderRulesActionsTest, RenameKeepsTheValue) {
  HeaderAction rename = action(ActionKind::rename, field("X-Internal-Route"));
  rename.new_name = HeaderName::of("X-Route-Hint");
  sip::Message message = applied({rule({}, {rename})});
  EXPECT_FALSE(message.first_value("X-Internal-Route"));
  EXPECT_EQ(value_of(message, "X-Route-Hint"), "trunk7");
}

TEST(HeaderRulesActionsTest, SetRequestUriUserToE164FromACapture) {
  RuleMatch national;
  national.conditions = {when(field("Request-URI", HeaderPart::user), std::nullopt, regex("^0([1-9]\\d+)$"))};
  sip::Message message =
      applied({rule(national, {action(ActionKind::set, field("Request-URI", HeaderPart::user), "+44$1"),
                               action(ActionKind::set, field("To", HeaderPart::user), "+44$1")})});
  EXPECT_EQ(message.request_uri().text, "sip:+442071234567@sbc.example.net;user=phone");
  EXPECT_EQ(message.to()->uri.user, "+442071234567");
}

TEST(HeaderRulesActionsTest, SetHostPortAndParametersOfURIs) {
  sip::Message message = applied({rule(
      {}, {action(ActionKind::set, field("Request-URI", HeaderPart::host), "sip.carrier.example"),
           action(ActionKind::set, field("Request-URI", HeaderPart::port), "5080"),
           action(ActionKind::set, field("From", HeaderPart::host), "sbc.example.net"),
           action(ActionKind::set, field("From", HeaderPart::uri_param, "transport"), "tcp"),
           action(ActionKind::set, field("Contact", HeaderPart::uri_param, "ob"), ""),
           action(ActionKind::set, field("P-Asserted-Identity", HeaderPart::host), "sbc.example.net")})});
  EXPECT_EQ(message.request_uri().text, "sip:02071234567@sip.carrier.example:5080;user=phone");
  EXPECT_EQ(message.from()->uri.text, "sip:alice@sbc.example.net:5070;transport=tcp");
  EXPECT_EQ(message.from()->tag(), "1928301774");  // the dialog's tag stays
  EXPECT_EQ(value_of(message, "Contact"), "<sip:alice@10.0.0.5:5060;ob>");
  EXPECT_EQ(value_of(message, "P-Asserted-Identity"),
            "\"Alice Smith\" <sip:+442071112222@sbc.example.net;user=phone>");
}

TEST(HeaderRulesActionsTest, SetDisplayNameAndHeaderParameter) {
  sip::Message message = applied({rule(
      {}, {action(ActionKind::set, field("From", HeaderPart::display_name), "Reception \"A\""),
           action(ActionKind::set, field("Diversion", HeaderPart::header_param, "reason"), "user-busy")})});
  EXPECT_EQ(message.from()->display_name, "\"Reception \\\"A\\\"\"");
  EXPECT_EQ(value_of(message, "Diversion"), "<sip:1000@pbx.internal>;reason=user-busy");
}

TEST(HeaderRulesActionsTest, SetAWholeHeaderAddsItWhenAbsent) {
  sip::Message message = applied({rule({}, {action(ActionKind::set, field("Privacy"), "id")})});
  EXPECT_EQ(value_of(message, "Privacy"), "id");
}

TEST(HeaderRulesActionsTest, UnsetRemovesAParameterThePortOrTheDisplayName) {
  sip::Message message =
      applied({rule({}, {action(ActionKind::unset, field("From", HeaderPart::uri_param, "transport")),
                         action(ActionKind::unset, field("From", HeaderPart::port)),
                         action(ActionKind::unset, field("From", HeaderPart::display_name)),
                         action(ActionKind::unset, field("Request-URI", HeaderPart::uri_param, "user"))})});
  EXPECT_EQ(value_of(message, "From"), "<sip:alice@pbx.internal>;tag=1928301774");
  EXPECT_EQ(message.request_uri().text, "sip:02071234567@sbc.example.net");
}

TEST(HeaderRulesActionsTest, StripAndAddPrefix) {
  sip::Message message = applied(
      {rule({}, {action(ActionKind::strip_prefix, field("P-Asserted-Identity", HeaderPart::user), "+44"),
                 action(ActionKind::add_prefix, field("P-Asserted-Identity", HeaderPart::user), "0"),
                 action(ActionKind::strip_prefix, field("Request-URI", HeaderPart::user), "9")})});
  EXPECT_NE(value_of(message, "P-Asserted-Identity").find("<sip:02071112222@"), std::string::npos);
  EXPECT_EQ(message.request_uri().user, "02071234567");  // no 9 in front: unchanged
}

TEST(HeaderRulesActionsTest, CopyPaiUriIntoFrom) {
  HeaderAction copy = action(ActionKind::copy, field("From", HeaderPart::uri));
  copy.source = field("P-Asserted-Identity", HeaderPart::uri);
  HeaderAction display = action(ActionKind::copy, field("From", HeaderPart::display_name));
  display.source = field("P-Asserted-Identity", HeaderPart::display_name);
  sip::Message message = applied({rule({}, {copy, display})});
  EXPECT_EQ(value_of(message, "From"),
            "\"Alice Smith\" <sip:+442071112222@pbx.internal;user=phone>;tag=1928301774");
}

TEST(HeaderRulesActionsTest, CopyDiversionIntoHistoryInfoAsPlainText) {
  HeaderAction copy = action(ActionKind::copy, field("History-Info"));
  copy.source = field("Diversion");
  // RFC 7044 §4.1: a History-Info entry needs an index, which the plain copy lacks: the rule
  // adds it, and only the finished message is checked.
  sip::Message message = applied(
      {rule({}, {copy, action(ActionKind::set, field("History-Info", HeaderPart::header_param, "index"), "1"),
                 action(ActionKind::remove, field("Diversion"))})});
  EXPECT_EQ(value_of(message, "History-Info"), "<sip:1000@pbx.internal>;reason=unconditional;index=1");
  EXPECT_FALSE(message.first_value("Diversion"));
}

TEST(HeaderRulesActionsTest, CopyFromAnAbsentHeaderDoesNothing) {
  HeaderAction copy = action(ActionKind::copy, field("From", HeaderPart::uri));
  copy.source = field("P-Preferred-Identity", HeaderPart::uri);
  sip::Message message = applied({rule({}, {copy})});
  EXPECT_EQ(message.from()->uri.text, "sip:alice@pbx.internal:5070;transport=udp");
}

TEST(HeaderRulesActionsTest, CopyAPartIntoAnotherPart) {
  HeaderAction copy = action(ActionKind::copy, field("To", HeaderPart::user));
  copy.source = field("Request-URI", HeaderPart::user);
  HeaderAction host = action(ActionKind::copy, field("X-Original-Host"));
  host.source = field("From", HeaderPart::host);
  sip::Message message = applied(
      {rule({}, {action(ActionKind::set, field("Request-URI", HeaderPart::user), "+4420"), copy, host})});
  EXPECT_EQ(message.to()->uri.user, "+4420");
  EXPECT_EQ(value_of(message, "X-Original-Host"), "pbx.internal");
}

TEST(HeaderRulesActionsTest, AllowListRemovesEverythingElseButNeverTheHeadersAMessageNeeds) {
  HeaderAction allow = action(ActionKind::allow_only, {});
  allow.allowed = {HeaderName::of("P-Asserted-Identity")};
  sip::Message message = applied({rule({}, {allow})});
  EXPECT_TRUE(message.first_value("P-Asserted-Identity"));
  EXPECT_FALSE(message.first_value("X-Internal-Route"));
  EXPECT_FALSE(message.first_value("User-Agent"));
  EXPECT_FALSE(message.first_value("Diversion"));
  for (sip::HeaderId kept :
       {sip::HeaderId::via, sip::HeaderId::from, sip::HeaderId::to, sip::HeaderId::call_id,
        sip::HeaderId::cseq, sip::HeaderId::max_forwards, sip::HeaderId::contact, sip::HeaderId::content_type,
        sip::HeaderId::content_length}) {
    EXPECT_TRUE(message.first_value(kept)) << sip::canonical_name(kept);
  }
  EXPECT_EQ(message.body().size(), 130u);
}

TEST(HeaderRulesActionsTest, BodyReplaceRewritesSdpAddressesAndContentLength) {
  sip::Message message = applied({rule({}, {action(ActionKind::body_replace, {}, "$1IN IP4 203.0.113.9",
                                                   regex("(?m)^([oc]=.*)IN IP4 10\\.0\\.0\\.5"))})});
  EXPECT_NE(message.body().find("o=alice 2890844526 2890844526 IN IP4 203.0.113.9\r\n"), std::string::npos);
  EXPECT_NE(message.body().find("c=IN IP4 203.0.113.9\r\n"), std::string::npos);
  EXPECT_EQ(message.body().find("10.0.0.5"), std::string::npos);
  EXPECT_EQ(*message.content_length(), message.body().size());
}

TEST(HeaderRulesActionsTest, ResponsesAreEditedToo) {
  RuleMatch ringing;
  ringing.statuses = {{180, 180}};
  sip::Message message = applied({rule(ringing, {action(ActionKind::remove, field("Server"))})}, kRinging);
  EXPECT_TRUE(message.is_response());
  EXPECT_EQ(message.status(), 180);
  EXPECT_FALSE(message.first_value("Server"));
}

TEST(HeaderRulesActionsTest, NoMatchingRuleLeavesTheMessageUntouched) {
  RuleMatch bye;
  bye.methods = {"BYE"};
  sip::Message message = applied({rule(bye, {action(ActionKind::remove, field("User-Agent"))})});
  EXPECT_EQ(message.serialize(), std::string(kInvite));
}

TEST(HeaderRulesActionsTest, AnEditedMessageIsReadAsEdited) {
  sip::Message message = parse(kInvite);
  message.set_request_uri("sip:0123@carrier.example");
  auto result =
      rules({rule({}, {action(ActionKind::add_prefix, field("Request-URI", HeaderPart::user), "+44")})})
          .apply(message);
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(message.request_uri().text, "sip:+440123@carrier.example");
}

}  // namespace
}  // namespace osprey::sbc
