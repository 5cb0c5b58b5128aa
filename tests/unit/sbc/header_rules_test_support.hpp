#pragma once
// Builders for header rule tests: rules written in code as briefly as the TOML writes them.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sbc/header_rule.hpp"
#include "sbc/header_rule_regex.hpp"
#include "sbc/header_rule_set.hpp"
#include "sip/message.hpp"

namespace osprey::sbc::test {

inline const char* const kInvite =
    "INVITE sip:02071234567@sbc.example.net;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:02071234567@sbc.example.net>\r\n"
    "From: \"Alice\" <sip:alice@pbx.internal:5070;transport=udp>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pbx.internal\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@10.0.0.5:5060>\r\n"
    "P-Asserted-Identity: \"Alice Smith\" <sip:+442071112222@pbx.internal;user=phone>\r\n"
    "X-Internal-Route: trunk7\r\n"
    "Diversion: <sip:1000@pbx.internal>;reason=unconditional\r\n"
    "User-Agent: PBX/1.0\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 130\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 10.0.0.5\r\n"
    "s=-\r\n"
    "c=IN IP4 10.0.0.5\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

inline const char* const kRinging =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds\r\n"
    "To: <sip:02071234567@sbc.example.net>;tag=8321234356\r\n"
    "From: \"Alice\" <sip:alice@pbx.internal>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pbx.internal\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Server: Carrier-SBC/9\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

inline sip::Message parse(const char* text) {
  auto message = sip::Message::parse(text);
  EXPECT_TRUE(message.has_value()) << (message ? "" : message.error().reason);
  return std::move(*message);
}

inline Regex regex(std::string_view pattern) {
  auto compiled = compile_regex(pattern);
  EXPECT_TRUE(compiled.has_value()) << (compiled ? "" : compiled.error());
  return compiled ? *compiled : nullptr;
}

inline FieldRef field(std::string_view header, HeaderPart part = HeaderPart::value, std::string param = {}) {
  FieldRef ref;
  ref.request_uri = header == kRequestUriName;
  if (!ref.request_uri) ref.header = HeaderName::of(header);
  ref.part = part;
  ref.param = std::move(param);
  return ref;
}

inline HeaderAction action(ActionKind kind, FieldRef target, std::string value = {},
                           Regex pattern = nullptr) {
  HeaderAction made;
  made.kind = kind;
  made.target = std::move(target);
  made.value = std::move(value);
  made.regex = std::move(pattern);
  return made;
}

inline HeaderCondition when(FieldRef target, std::optional<std::string> equals, Regex pattern = nullptr,
                            bool negate = false) {
  return HeaderCondition{std::move(target), std::move(equals), std::move(pattern), negate};
}

inline HeaderRule rule(RuleMatch match, std::vector<HeaderAction> actions) {
  return HeaderRule{"test", std::move(match), std::move(actions)};
}

// A rule set from `rules`; the test fails if it does not build.
inline HeaderRuleSet rules(std::vector<HeaderRule> list) {
  auto set = HeaderRuleSet::create(std::move(list));
  EXPECT_TRUE(set.has_value()) << (set ? "" : set.error());
  return std::move(*set);
}

// A marker action: whether a rule matched shows as this header in the result.
inline HeaderAction mark() { return action(ActionKind::add, field("X-Matched"), "yes"); }

inline bool matched(const sip::Message& message) { return message.first_value("X-Matched").has_value(); }

// Applies a single rule with `match` and the marker action to `text`; true if it matched.
inline bool matches(const RuleMatch& match, const char* text) {
  sip::Message message = parse(text);
  auto applied = rules({rule(match, {mark()})}).apply(message);
  EXPECT_TRUE(applied.has_value()) << (applied ? "" : applied.error());
  return matched(message);
}

// Applies `list` to `text`, expecting success; the message after.
inline sip::Message applied(std::vector<HeaderRule> list, const char* text = kInvite) {
  sip::Message message = parse(text);
  auto result = rules(std::move(list)).apply(message);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error());
  return message;
}

inline std::string value_of(const sip::Message& message, std::string_view name) {
  return std::string(message.first_value(name).value_or("<absent>"));
}

}  // namespace osprey::sbc::test
