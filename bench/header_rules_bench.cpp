// The SBC's header rules on an INVITE (Google Benchmark, release build): five typical rules
// (E.164 Request-URI, PAI into From, an internal header removed, User-Agent replaced, the SDP
// address rewritten), against the copy of the message every apply starts from and against the
// same rules matching nothing (the cost of a rule set that does not apply).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "sbc/header_rule_regex.hpp"
#include "sbc/header_rule_set.hpp"
#include "sip/message.hpp"

namespace {

using namespace osprey::sbc;

const char* const kInvite =
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
    "User-Agent: PBX/1.0\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, REFER, NOTIFY\r\n"
    "Supported: replaces, timer, 100rel\r\n"
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

FieldRef field(std::string_view header, HeaderPart part = HeaderPart::value) {
  FieldRef ref;
  ref.request_uri = header == kRequestUriName;
  if (!ref.request_uri) ref.header = HeaderName::of(header);
  ref.part = part;
  return ref;
}

HeaderAction make(ActionKind kind, FieldRef target, std::string value = {}, std::string_view pattern = {}) {
  HeaderAction action;
  action.kind = kind;
  action.target = std::move(target);
  action.value = std::move(value);
  if (!pattern.empty()) action.regex = *compile_regex(pattern);
  return action;
}

// `method` INVITE: the five rules apply; anything else: they match nothing.
HeaderRuleSet five_rules(const std::string& method) {
  RuleMatch invites;
  invites.methods = {method};
  RuleMatch national = invites;
  national.conditions = {HeaderCondition{field("Request-URI", HeaderPart::user), std::nullopt,
                                         *compile_regex("^0([1-9]\\d+)$"), false}};
  HeaderAction pai_to_from = make(ActionKind::copy, field("From", HeaderPart::uri));
  pai_to_from.source = field("P-Asserted-Identity", HeaderPart::uri);
  std::vector<HeaderRule> rules;
  rules.push_back(
      {"e164", national, {make(ActionKind::set, field("Request-URI", HeaderPart::user), "+44$1")}});
  rules.push_back({"pai", invites, {pai_to_from}});
  rules.push_back({"internal", invites, {make(ActionKind::remove, field("X-Internal-Route"))}});
  rules.push_back({"agent", invites, {make(ActionKind::replace, field("User-Agent"), "osprey")}});
  rules.push_back({"sdp",
                   invites,
                   {make(ActionKind::body_replace, {}, "$1203.0.113.9", "(?m)^(c=IN IP4 )10\\.0\\.0\\.5")}});
  return *HeaderRuleSet::create(std::move(rules));
}

void apply_rules(benchmark::State& state, const HeaderRuleSet& rules) {
  const osprey::sip::Message original = *osprey::sip::Message::parse(kInvite);
  for (auto _ : state) {
    osprey::sip::Message message = original.clone();
    auto result = rules.apply(message);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(message);
  }
}

void BM_FiveRulesOnInvite(benchmark::State& state) { apply_rules(state, five_rules("INVITE")); }
void BM_FiveRulesMatchingNothing(benchmark::State& state) { apply_rules(state, five_rules("MESSAGE")); }
void BM_CloneOnly(benchmark::State& state) {
  const osprey::sip::Message original = *osprey::sip::Message::parse(kInvite);
  for (auto _ : state) {
    osprey::sip::Message message = original.clone();
    benchmark::DoNotOptimize(message);
  }
}

BENCHMARK(BM_FiveRulesOnInvite);
BENCHMARK(BM_FiveRulesMatchingNothing);
BENCHMARK(BM_CloneOnly);

}  // namespace

BENCHMARK_MAIN();
