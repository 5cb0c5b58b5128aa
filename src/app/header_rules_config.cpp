#include "app/header_rules_config.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "sbc/header_rule.hpp"
#include "sbc/header_rule_regex.hpp"
#include "sbc/header_rule_set.hpp"

namespace osprey::app {

namespace {

using sbc::ActionKind;
using sbc::HeaderPart;

std::uint32_t line_of(const toml::node& node) { return node.source().begin.line; }

const toml::table* table_at(ReadState& state, const toml::array& array, std::size_t i,
                            const std::string& path) {
  const toml::table* table = array.get(i)->as_table();
  if (table == nullptr) state.fail(line_of(*array.get(i)), path, "must be a table ({ ... } or [[...]])");
  return table;
}

bool read_regex(Section& section, std::string_view key, sbc::Regex& out) {
  std::string pattern;
  if (!section.string(key, pattern)) return false;
  auto regex = sbc::compile_regex(pattern);
  if (!regex) {
    section.fail(key, regex.error());
    return false;
  }
  out = std::move(*regex);
  return true;
}

void read_names(Section& section, std::string_view key, std::vector<sbc::HeaderName>& out) {
  std::vector<std::string> names;
  if (!section.string_array(key, names)) return;
  for (const std::string& name : names) {
    if (!sbc::is_header_name(name)) {
      section.fail(key, "'" + name + "' is not a header name (RFC 3261 token)");
      return;
    }
    out.push_back(sbc::HeaderName::of(name));
  }
}

// header / part / param: the field a condition reads or an action writes. `prefix` is "" or
// "from_" (copy's source).
bool read_field(Section& section, const std::string& prefix, bool required, sbc::FieldRef& field) {
  const std::string header_key = prefix.empty() ? "header" : "from";
  std::string header;
  if (!section.string(header_key, header)) {
    if (required) section.fail(header_key, "is required: the header to work on (or \"Request-URI\")");
    return false;
  }
  field.request_uri = header == sbc::kRequestUriName;
  if (!field.request_uri) field.header = sbc::HeaderName::of(header);
  section.choice<HeaderPart>(prefix + "part",
                             {{"value", HeaderPart::value},
                              {"uri", HeaderPart::uri},
                              {"user", HeaderPart::user},
                              {"host", HeaderPart::host},
                              {"port", HeaderPart::port},
                              {"param", HeaderPart::uri_param},
                              {"display", HeaderPart::display_name},
                              {"header-param", HeaderPart::header_param}},
                             field.part);
  const bool needs_param = field.part == HeaderPart::uri_param || field.part == HeaderPart::header_param;
  if (needs_param) {
    if (!section.string(prefix + "param", field.param)) {
      section.fail(prefix + "part", "needs " + prefix + "param = \"name\" (the parameter's name)");
    }
  }
  return true;
}

std::optional<sbc::StatusRange> parse_status(std::string_view text) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.size() != 3 || text[0] < '1' || text[0] > '6') return std::nullopt;
  const int hundreds = (text[0] - '0') * 100;
  if (text.substr(1) == "xx" || text.substr(1) == "XX") return sbc::StatusRange{hundreds, hundreds + 99};
  if (!digit(text[1]) || !digit(text[2])) return std::nullopt;
  const int code = hundreds + (text[1] - '0') * 10 + (text[2] - '0');
  return sbc::StatusRange{code, code};
}

void read_match(Section& section, ReadState& state, const std::string& path, sbc::RuleMatch& match) {
  section.choice<sbc::MessageKind>("message",
                                   {{"any", sbc::MessageKind::any},
                                    {"request", sbc::MessageKind::request},
                                    {"response", sbc::MessageKind::response}},
                                   match.kind);
  if (section.string_array("methods", match.methods)) {
    for (const std::string& method : match.methods) {
      if (std::any_of(method.begin(), method.end(),
                      [](char c) { return !(c >= 'A' && c <= 'Z') && c != '-' && c != '_'; })) {
        section.fail("methods",
                     "'" + method + "' is not a method: methods are upper case (RFC 3261 §7.1: INVITE)");
        break;
      }
    }
  }
  std::vector<std::string> statuses;
  if (section.string_array("status", statuses)) {
    for (const std::string& text : statuses) {
      auto range = parse_status(text);
      if (!range) {
        section.fail("status", "'" + text + "' is not a status code (\"486\") or class (\"4xx\")");
        break;
      }
      match.statuses.push_back(*range);
    }
    if (match.kind == sbc::MessageKind::request)
      section.fail("status", "matches responses, but the rule says message = \"request\"");
  }
  read_names(section, "present", match.present);
  read_names(section, "absent", match.absent);
  const toml::array* conditions = section.table_array("when");
  if (conditions == nullptr) return;
  for (std::size_t i = 0; i < conditions->size(); ++i) {
    const std::string condition_path = path + ".when[" + std::to_string(i) + "]";
    const toml::table* entry = table_at(state, *conditions, i, condition_path);
    if (entry == nullptr) continue;
    Section condition_section(state, *entry, condition_path);
    sbc::HeaderCondition condition;
    read_field(condition_section, "", true, condition.field);
    // An empty string is a fair thing to compare with (an empty user), unlike most values.
    if (std::string equals; condition_section.string_or_empty("equals", equals))
      condition.equals = std::move(equals);
    read_regex(condition_section, "regex", condition.regex);
    condition_section.boolean("negate", condition.negate);
    if (auto error = sbc::check_condition(condition)) condition_section.fail("header", *error);
    condition_section.fail_unknown_keys();
    match.conditions.push_back(std::move(condition));
  }
}

sbc::HeaderAction read_action(ReadState& state, const toml::table& table, const std::string& path,
                              std::size_t rule_groups) {
  Section section(state, table, path);
  sbc::HeaderAction action;
  if (!section.choice<ActionKind>("action",
                                  {{"add", ActionKind::add},
                                   {"remove", ActionKind::remove},
                                   {"replace", ActionKind::replace},
                                   {"rename", ActionKind::rename},
                                   {"set", ActionKind::set},
                                   {"unset", ActionKind::unset},
                                   {"strip-prefix", ActionKind::strip_prefix},
                                   {"add-prefix", ActionKind::add_prefix},
                                   {"copy", ActionKind::copy},
                                   {"allow", ActionKind::allow_only},
                                   {"body-replace", ActionKind::body_replace}},
                                  action.kind)) {
    if (!section.has("action"))
      section.fail("action", "is required (add, remove, replace, rename, set, ...)");
    return action;
  }
  // Each action reads only its own keys, so fail_unknown_keys names any other (`regex` on add).
  const auto read_value = [&](bool required) {
    if (!section.string_or_empty("value", action.value) && required && !section.has("value")) {
      section.fail("value", "is required");
    }
  };
  switch (action.kind) {
    case ActionKind::add:
    case ActionKind::set:
      read_field(section, "", true, action.target);
      read_value(true);
      break;
    case ActionKind::remove:
      read_field(section, "", true, action.target);
      read_regex(section, "regex", action.regex);
      break;
    case ActionKind::replace:
      read_field(section, "", true, action.target);
      read_regex(section, "regex", action.regex);
      read_value(true);
      break;
    case ActionKind::rename: {
      read_field(section, "", true, action.target);
      std::string to;
      if (section.string("to", to)) {
        action.new_name = sbc::HeaderName::of(to);
      } else {
        section.fail("to", "is required: the new header name");
      }
      break;
    }
    case ActionKind::unset: read_field(section, "", true, action.target); break;
    case ActionKind::strip_prefix:
    case ActionKind::add_prefix:
      read_field(section, "", true, action.target);
      if (!section.has("part")) action.target.part = HeaderPart::user;  // the usual case: a number
      read_value(true);
      break;
    case ActionKind::copy:
      read_field(section, "from_", true, action.source);
      read_field(section, "", true, action.target);
      break;
    case ActionKind::allow_only:
      read_names(section, "headers", action.allowed);
      if (!section.has("headers")) section.fail("headers", "is required: the header names allowed through");
      break;
    case ActionKind::body_replace:
      if (!read_regex(section, "regex", action.regex) && !section.has("regex"))
        section.fail("regex", "is required");
      read_value(true);
      break;
  }
  if (auto error = sbc::check_action(action)) {
    section.fail(section.has("header") ? "header" : "action", *error);
  } else if (auto rewrite = sbc::check_rewrite(action.value, sbc::usable_groups(action, rule_groups));
             !rewrite.empty()) {
    section.fail("value", rewrite);
  }
  section.fail_unknown_keys();
  return action;
}

}  // namespace

std::shared_ptr<const sbc::HeaderRules> read_header_rules(ReadState& state, const toml::array& rules,
                                                          const std::string& where) {
  if (rules.size() > sbc::kMaxRules) {
    state.fail(line_of(rules), where, "more than " + std::to_string(sbc::kMaxRules) + " rules");
    return nullptr;
  }
  std::vector<sbc::HeaderRule> read;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string path = where + "[" + std::to_string(i) + "]";
    const toml::table* table = table_at(state, rules, i, path);
    if (table == nullptr) continue;
    Section section(state, *table, path);
    sbc::HeaderRule rule;
    section.string("name", rule.name);
    read_match(section, state, path, rule.match);
    const std::size_t groups = sbc::capture_count(rule.match);
    const toml::array* actions = section.table_array("actions");
    if (actions == nullptr || actions->empty()) {
      if (actions != nullptr || !section.has("actions"))
        section.fail("actions", "a rule needs at least one action");
    } else if (actions->size() > sbc::kMaxActionsPerRule) {
      section.fail("actions", "more than " + std::to_string(sbc::kMaxActionsPerRule) + " actions");
    } else {
      for (std::size_t j = 0; j < actions->size(); ++j) {
        const std::string action_path = path + ".actions[" + std::to_string(j) + "]";
        const toml::table* entry = table_at(state, *actions, j, action_path);
        if (entry != nullptr) rule.actions.push_back(read_action(state, *entry, action_path, groups));
      }
    }
    section.fail_unknown_keys();
    read.push_back(std::move(rule));
  }
  if (state.first_error || read.empty()) return nullptr;
  auto set = sbc::HeaderRuleSet::create(std::move(read));
  if (!set) {
    // Everything create() checks was checked above with its line; this is the backstop.
    state.fail(line_of(rules), where, set.error());
    return nullptr;
  }
  return std::make_shared<const sbc::HeaderRuleSet>(std::move(*set));
}

}  // namespace osprey::app
