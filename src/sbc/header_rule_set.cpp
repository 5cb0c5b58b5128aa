#include "sbc/header_rule_set.hpp"

#include "sbc/header_rule_actions.hpp"
#include "sbc/header_rule_match.hpp"
#include "sbc/header_rule_message.hpp"
#include "sbc/header_rule_regex.hpp"

namespace osprey::sbc {

namespace {

std::string rule_label(const HeaderRule& rule, std::size_t index) {
  std::string label = "rule " + std::to_string(index + 1);
  if (!rule.name.empty()) label += " (" + rule.name + ")";
  return label;
}

bool own_groups(const HeaderAction& action) {
  return action.regex && (action.kind == ActionKind::replace || action.kind == ActionKind::body_replace);
}

}  // namespace

std::size_t capture_count(const RuleMatch& match) {
  std::size_t count = 0;
  for (const HeaderCondition& condition : match.conditions) {
    if (condition.regex) count += static_cast<std::size_t>(condition.regex->NumberOfCapturingGroups());
  }
  return count;
}

std::size_t usable_groups(const HeaderAction& action, std::size_t rule_groups) {
  if (own_groups(action)) return static_cast<std::size_t>(action.regex->NumberOfCapturingGroups());
  return rule_groups;
}

tl::expected<HeaderRuleSet, std::string> HeaderRuleSet::create(std::vector<HeaderRule> rules) {
  if (rules.size() > kMaxRules) return tl::unexpected("more than " + std::to_string(kMaxRules) + " rules");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const HeaderRule& rule = rules[i];
    if (rule.actions.empty()) return tl::unexpected(rule_label(rule, i) + ": no actions");
    if (rule.actions.size() > kMaxActionsPerRule) {
      return tl::unexpected(rule_label(rule, i) + ": more than " + std::to_string(kMaxActionsPerRule) +
                            " actions");
    }
    for (const HeaderCondition& condition : rule.match.conditions) {
      if (auto error = check_condition(condition)) return tl::unexpected(rule_label(rule, i) + ": " + *error);
    }
    const std::size_t groups = capture_count(rule.match);
    for (std::size_t j = 0; j < rule.actions.size(); ++j) {
      const HeaderAction& action = rule.actions[j];
      const std::string where = rule_label(rule, i) + ", action " + std::to_string(j + 1) + ": ";
      if (auto error = check_action(action)) return tl::unexpected(where + *error);
      if (auto error = check_rewrite(action.value, usable_groups(action, groups)); !error.empty()) {
        return tl::unexpected(where + error);
      }
    }
  }
  return HeaderRuleSet(std::move(rules));
}

tl::expected<void, std::string> HeaderRuleSet::apply(sip::Message& message) const {
  if (rules_.empty()) return {};
  // The view reads the message's eagerly parsed start line, current only while unedited.
  std::optional<sip::Message> current;
  if (message.edited()) {
    auto reparsed = message.reparsed();
    if (!reparsed) return tl::unexpected("the message does not parse: " + reparsed.error().reason);
    current.emplace(std::move(*reparsed));
  }
  RuleMessage view(current ? *current : message);
  bool ran = false;
  std::vector<std::string_view> groups;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const HeaderRule& rule = rules_[i];
    groups.clear();
    if (!rule_matches(rule.match, view, groups)) continue;
    for (std::size_t j = 0; j < rule.actions.size(); ++j) {
      if (auto done = run_action(rule.actions[j], groups, view); !done) {
        return tl::unexpected(rule_label(rule, i) + ", action " + std::to_string(j + 1) + ": " +
                              done.error());
      }
      ran = true;
    }
  }
  if (!ran) {
    if (current) message = std::move(*current);
    return {};
  }
  if (auto checked = check_written_lines(view); !checked) return tl::unexpected(checked.error());
  // One parse for the whole rule set: it proves the result is a SIP message osprey itself
  // accepts (start line, transaction key, framing, size) before it replaces the original.
  auto result = sip::Message::parse(view.serialize());
  if (!result) return tl::unexpected("the rules would make an invalid message: " + result.error().reason);
  message = std::move(*result);
  return {};
}

}  // namespace osprey::sbc
