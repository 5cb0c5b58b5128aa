#include "sbc/header_rule_match.hpp"

#include <algorithm>

#include "sbc/header_rule_parts.hpp"
#include "sbc/header_rule_regex.hpp"

namespace osprey::sbc {

namespace {

bool has_header(const RuleMessage& message, const HeaderName& name) {
  return std::any_of(message.lines().begin(), message.lines().end(),
                     [&](const RuleMessage::Line& line) { return name.matches(line.name, line.id); });
}

// One part value against the condition; on a regex match its groups go into `groups`.
bool part_holds(const HeaderCondition& condition, std::string_view part,
                std::vector<std::string_view>& groups) {
  if (condition.equals) return part == *condition.equals;
  if (condition.regex) return search(*condition.regex, part, groups);
  return true;
}

std::optional<std::string_view> read_part(std::string_view element, const FieldRef& field) {
  return read_element_part(element, field.part, field.param);
}

bool condition_holds(const HeaderCondition& condition, const RuleMessage& message,
                     std::vector<std::string_view>& groups) {
  const FieldRef& field = condition.field;
  bool found = false;
  if (field.request_uri) {
    if (message.is_request()) {
      if (auto part = read_uri_part(message.request_uri(), field.part, field.param)) {
        found = part_holds(condition, *part, groups);
      }
    }
  } else {
    for (const RuleMessage::Line& line : message.lines()) {
      if (!field.header.matches(line.name, line.id)) continue;
      for_each_part_element(line, field.part, [&](std::string_view element) {
        if (auto part = read_part(element, field)) found = part_holds(condition, *part, groups);
        return !found;
      });
      if (found) break;
    }
  }
  return found != condition.negate;
}

}  // namespace

bool rule_matches(const RuleMatch& match, const RuleMessage& message, std::vector<std::string_view>& groups) {
  if (match.kind == MessageKind::request && !message.is_request()) return false;
  if (match.kind == MessageKind::response && message.is_request()) return false;
  if (!match.methods.empty() &&
      std::find(match.methods.begin(), match.methods.end(), message.method()) == match.methods.end()) {
    return false;
  }
  if (!match.statuses.empty()) {
    if (message.is_request()) return false;
    const int status = message.status();
    if (std::none_of(match.statuses.begin(), match.statuses.end(),
                     [&](const StatusRange& range) { return status >= range.low && status <= range.high; })) {
      return false;
    }
  }
  for (const HeaderName& name : match.present) {
    if (!has_header(message, name)) return false;
  }
  for (const HeaderName& name : match.absent) {
    if (has_header(message, name)) return false;
  }
  for (const HeaderCondition& condition : match.conditions) {
    const std::size_t before = groups.size();
    if (!condition_holds(condition, message, groups)) return false;
    if (condition.regex) {
      // A negated condition holds when nothing matched: its groups are empty, in place.
      const auto expected = before + static_cast<std::size_t>(condition.regex->NumberOfCapturingGroups());
      groups.resize(expected);
    }
  }
  return true;
}

std::optional<std::string_view> first_part(const RuleMessage& message, const FieldRef& field) {
  if (field.request_uri) {
    if (!message.is_request()) return std::nullopt;
    return read_uri_part(message.request_uri(), field.part, field.param);
  }
  for (const RuleMessage::Line& line : message.lines()) {
    if (!field.header.matches(line.name, line.id)) continue;
    std::optional<std::string_view> found;
    for_each_part_element(line, field.part, [&](std::string_view element) {
      found = read_part(element, field);
      return !found;
    });
    if (found) return found;
  }
  return std::nullopt;
}

}  // namespace osprey::sbc
