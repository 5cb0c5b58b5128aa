#pragma once
// An ordered list of header rules (sbc/header_rule.hpp) run on one message: each rule whose
// match holds runs its actions, in order, and later rules see what earlier ones did. The rules
// work on a view of the message (sbc/header_rule_message.hpp) and the result is parsed once at
// the end; if any action fails or the result is no longer a valid SIP message, apply() fails
// and the message is left as it was.

#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "sbc/header_rule.hpp"
#include "sbc/header_rules.hpp"

namespace osprey::sbc {

// Bounds on what rules may make: RFC 3261 leaves sizes to implementations; these are the
// parser's own (sip::ParseOptions), so a result osprey would refuse on receipt is never sent.
inline constexpr std::size_t kMaxHeaderValueSize = 8000;
inline constexpr std::size_t kMaxBodySize = 60 * 1024;
inline constexpr std::size_t kMaxHeaderLines = 256;

class HeaderRuleSet final : public HeaderRules {
 public:
  // Checks every rule (check_action, check_condition, the bounds, each value's $N against the
  // capture groups it can use); the first problem, with the rule's and action's index, when not.
  static tl::expected<HeaderRuleSet, std::string> create(std::vector<HeaderRule> rules);

  tl::expected<void, std::string> apply(sip::Message& message) const override;

  const std::vector<HeaderRule>& rules() const { return rules_; }

 private:
  explicit HeaderRuleSet(std::vector<HeaderRule> rules) : rules_(std::move(rules)) {}
  std::vector<HeaderRule> rules_;
};

// The number of $N a rule's action values may use: the capture groups of its conditions.
std::size_t capture_count(const RuleMatch& match);
// The $N an action's value may use: its own regex's groups (remove/replace/body_replace with a
// regex), else the rule's.
std::size_t usable_groups(const HeaderAction& action, std::size_t rule_groups);

}  // namespace osprey::sbc
