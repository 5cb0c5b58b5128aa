// Fuzzes the SBC's header rules (sbc/header_rule_set.hpp): a fixed rule set with every kind of
// match and action, applied to arbitrary messages. Properties: apply() either fails and leaves
// the message as it was, or gives a message that serializes and parses again with its
// transaction key intact.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "sbc/header_rule_regex.hpp"
#include "sbc/header_rule_set.hpp"
#include "sip/message.hpp"

namespace {

using namespace osprey::sbc;

FieldRef field(std::string_view header, HeaderPart part = HeaderPart::value, std::string param = {}) {
  FieldRef ref;
  ref.request_uri = header == kRequestUriName;
  if (!ref.request_uri) ref.header = HeaderName::of(header);
  ref.part = part;
  ref.param = std::move(param);
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

HeaderRuleSet build_rules() {
  std::vector<HeaderRule> rules;
  RuleMatch national;
  national.kind = MessageKind::request;
  national.conditions = {HeaderCondition{field("Request-URI", HeaderPart::user), std::nullopt,
                                         *compile_regex("^0([1-9]\\d*)$"), false}};
  rules.push_back({"e164",
                   national,
                   {make(ActionKind::set, field("Request-URI", HeaderPart::user), "+44$1"),
                    make(ActionKind::set, field("To", HeaderPart::user), "+44$1")}});
  HeaderAction pai_to_from = make(ActionKind::copy, field("From", HeaderPart::uri));
  pai_to_from.source = field("P-Asserted-Identity", HeaderPart::uri);
  HeaderAction display = make(ActionKind::copy, field("From", HeaderPart::display_name));
  display.source = field("P-Asserted-Identity", HeaderPart::display_name);
  RuleMatch with_pai;
  with_pai.present = {HeaderName::of("P-Asserted-Identity")};
  rules.push_back({"pai", with_pai, {pai_to_from, display}});
  HeaderAction rename = make(ActionKind::rename, field("X-Old"));
  rename.new_name = HeaderName::of("X-New");
  HeaderAction history = make(ActionKind::copy, field("History-Info"));
  history.source = field("Diversion");
  rules.push_back({"edits",
                   {},
                   {make(ActionKind::remove, field("X-Internal")),
                    make(ActionKind::replace, field("User-Agent"), "osprey"), rename,
                    make(ActionKind::add, field("X-Added"), "1"),
                    make(ActionKind::set, field("Contact", HeaderPart::uri_param, "ob"), ""),
                    make(ActionKind::unset, field("From", HeaderPart::port)),
                    make(ActionKind::strip_prefix, field("P-Asserted-Identity", HeaderPart::user), "+"),
                    make(ActionKind::add_prefix, field("Diversion", HeaderPart::user), "00"),
                    make(ActionKind::set, field("Diversion", HeaderPart::header_param, "reason"), "unknown"),
                    history, make(ActionKind::replace, field("Subject"), "[$1]", "(\\w+)"),
                    make(ActionKind::body_replace, {}, "$1203.0.113.9", "(?m)^(c=IN IP4 )[0-9.]+")}});
  RuleMatch responses;
  responses.statuses = {{100, 299}};
  HeaderAction allow = make(ActionKind::allow_only, {});
  allow.allowed = {HeaderName::of("Allow"), HeaderName::of("Supported")};
  rules.push_back({"responses",
                   responses,
                   {make(ActionKind::set, field("Contact", HeaderPart::host), "sbc.example"), allow}});
  return *HeaderRuleSet::create(std::move(rules));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const HeaderRuleSet rules = build_rules();
  const std::string_view input = osprey::fuzz::as_view(data, size);
  auto message = osprey::sip::Message::parse(std::string(input));
  if (!message) return 0;
  const std::string before = message->serialize();
  auto applied = rules.apply(*message);
  if (!applied) {
    OSPREY_FUZZ_CHECK(!applied.error().empty());
    OSPREY_FUZZ_CHECK(message->serialize() == before);
    return 0;
  }
  const std::string after = message->serialize();
  auto again = osprey::sip::Message::parse(after);
  OSPREY_FUZZ_CHECK(again.has_value());
  OSPREY_FUZZ_CHECK(again->is_request() == message->is_request());
  return 0;
}
