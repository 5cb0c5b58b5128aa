#include "sbc/header_rule_actions.hpp"

#include <algorithm>

#include "sbc/header_rule_match.hpp"
#include "sbc/header_rule_parts.hpp"
#include "sbc/header_rule_regex.hpp"
#include "sbc/header_rule_set.hpp"
#include "sip/validation.hpp"

namespace osprey::sbc {

namespace {

using Line = RuleMessage::Line;
using Result = tl::expected<void, std::string>;

// What an editor makes of one part: leave it, set it, or remove it.
struct PartEdit {
  enum class Kind { keep, set, remove } kind = Kind::keep;
  std::string value;
};

Result fail(std::string message) { return tl::unexpected(std::move(message)); }

bool is_one_line(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7f;
  });
}

// Every value a rule writes into a header line passes here: one line, bounded (its typed check
// comes at the end, check_written_lines).
Result check_line(const HeaderName& header, sip::HeaderId, std::string_view value) {
  if (value.size() > kMaxHeaderValueSize) {
    return fail(header.text + " would be longer than " + std::to_string(kMaxHeaderValueSize) + " bytes");
  }
  if (!is_one_line(value)) return fail(header.text + " would hold a line break or a control character");
  return {};
}

Result add_line(RuleMessage& message, const HeaderName& header, std::string value) {
  if (message.lines().size() >= kMaxHeaderLines) {
    return fail("the message would have more than " + std::to_string(kMaxHeaderLines) + " header lines");
  }
  if (auto check = check_line(header, header.id, value); !check) return check;
  message.lines().push_back(Line{message.keep(header.text), message.keep(std::move(value)), header.id, true});
  return {};
}

// Runs `editor(current part or nullopt)` on every element of every line of `target` (or on the
// Request-URI) and writes back what it changes.
// `reads`: whether the editor looks at the current part (a plain set does not, and is spared
// parsing each element twice).
template <typename Editor>
Result edit_field(RuleMessage& message, const FieldRef& target, bool reads, Editor&& editor) {
  if (target.request_uri) {
    if (!message.is_request()) return {};
    PartEdit edit =
        editor(reads ? read_uri_part(message.request_uri(), target.part, target.param) : std::nullopt);
    if (edit.kind == PartEdit::Kind::keep) return {};
    if (!is_one_line(edit.value) || edit.value.size() > kMaxHeaderValueSize) {
      return fail("the Request-URI would hold a line break or be too long");
    }
    auto written = write_uri_part(
        message.request_uri(), target.part, target.param,
        edit.kind == PartEdit::Kind::set ? std::optional<std::string_view>(edit.value) : std::nullopt, true);
    if (!written) return fail("Request-URI: " + written.error());
    if (*written) message.set_request_uri(std::move(**written));
    return {};
  }
  for (Line& line : message.lines()) {
    if (!target.header.matches(line.name, line.id)) continue;
    std::string rebuilt;
    bool changed = false;
    std::string error;
    for_each_part_element(line, target.part, [&](std::string_view element) {
      PartEdit edit = editor(reads ? read_element_part(element, target.part, target.param) : std::nullopt);
      std::string_view out = element;
      std::optional<std::string> written;
      if (edit.kind != PartEdit::Kind::keep) {
        if (!is_one_line(edit.value)) {
          error = target.header.text + " would hold a line break or a control character";
          return false;
        }
        auto result = write_element_part(
            element, target.part, target.param,
            edit.kind == PartEdit::Kind::set ? std::optional<std::string_view>(edit.value) : std::nullopt);
        if (!result) {
          error = target.header.text + ": " + result.error();
          return false;
        }
        if (*result) {
          written = std::move(**result);
          out = *written;
          changed = true;
        }
      }
      if (!rebuilt.empty()) rebuilt.append(", ");
      rebuilt.append(out);
      return true;
    });
    if (!error.empty()) return fail(std::move(error));
    if (!changed) continue;
    if (auto check = check_line(target.header, line.id, rebuilt); !check) return check;
    line.value = message.keep(std::move(rebuilt));
    line.written = true;
  }
  return {};
}

// Every line of `header` replaced by one line with `value` where the first was; added when there
// was none.
Result set_whole(RuleMessage& message, const HeaderName& header, std::string value) {
  auto& lines = message.lines();
  auto first =
      std::find_if(lines.begin(), lines.end(), [&](const Line& l) { return header.matches(l.name, l.id); });
  if (first == lines.end()) return add_line(message, header, std::move(value));
  if (auto check = check_line(header, first->id, value); !check) return check;
  first->value = message.keep(std::move(value));
  first->written = true;
  lines.erase(std::remove_if(std::next(first), lines.end(),
                             [&](const Line& l) { return header.matches(l.name, l.id); }),
              lines.end());
  return {};
}

Result run_set(const HeaderAction& action, std::string value, RuleMessage& message) {
  const FieldRef& target = action.target;
  if (!target.request_uri && target.part == HeaderPart::value)
    return set_whole(message, target.header, std::move(value));
  return edit_field(message, target, false, [&](std::optional<std::string_view>) {
    return PartEdit{PartEdit::Kind::set, value};
  });
}

Result run_copy(const HeaderAction& action, RuleMessage& message) {
  const FieldRef& source = action.source;
  const FieldRef& target = action.target;
  if (!source.request_uri && !target.request_uri && source.part == HeaderPart::value &&
      target.part == HeaderPart::value) {
    // A plain copy of every line (Diversion -> History-Info as text: no conversion).
    std::vector<std::string_view> values;
    for (const Line& line : message.lines()) {
      if (source.header.matches(line.name, line.id)) values.push_back(line.value);
    }
    if (values.empty()) return {};
    auto& lines = message.lines();
    lines.erase(std::remove_if(lines.begin(), lines.end(),
                               [&](const Line& l) { return target.header.matches(l.name, l.id); }),
                lines.end());
    for (std::string_view value : values) {
      if (auto added = add_line(message, target.header, std::string(value)); !added) return added;
    }
    return {};
  }
  auto value = first_part(message, source);
  if (!value) return {};
  std::string text(*value);
  if (!target.request_uri && (target.part == HeaderPart::value || target.part == HeaderPart::uri) &&
      !first_part(message, FieldRef{target.header, false, HeaderPart::value, {}})) {
    return add_line(message, target.header, target.part == HeaderPart::uri ? "<" + text + ">" : text);
  }
  HeaderAction set = action;
  return run_set(set, std::move(text), message);
}

Result run_prefix(const HeaderAction& action, std::string prefix, RuleMessage& message) {
  const bool add = action.kind == ActionKind::add_prefix;
  return edit_field(message, action.target, true, [&](std::optional<std::string_view> current) {
    if (!current) return PartEdit{};
    if (add) return PartEdit{PartEdit::Kind::set, prefix + std::string(*current)};
    if (current->substr(0, prefix.size()) != prefix) return PartEdit{};
    return PartEdit{PartEdit::Kind::set, std::string(current->substr(prefix.size()))};
  });
}

bool allowed(const HeaderAction& action, const Line& line) {
  return is_protected_header(line.id) ||
         std::any_of(action.allowed.begin(), action.allowed.end(),
                     [&](const HeaderName& n) { return n.matches(line.name, line.id); });
}

}  // namespace

Result check_written_lines(const RuleMessage& message) {
  for (const Line& line : message.lines()) {
    // From and To: the final parse reads them (key headers), no need to parse them twice.
    if (!line.written || line.id == sip::HeaderId::from || line.id == sip::HeaderId::to) continue;
    if (auto valid = sip::validate_header(line.id, line.value); !valid) {
      return fail(std::string(line.name) + " would be invalid ('" + std::string(line.value.substr(0, 200)) +
                  "'): " + valid.error().reason);
    }
  }
  return {};
}

namespace {

// Entries of a comma-separated header value (RFC 3261 §7.3.1): commas outside quoted strings
// and <URI>s.
std::size_t top_level_entries(std::string_view value) {
  std::size_t entries = 1;
  bool quoted = false;
  bool in_uri = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      in_uri = true;
    } else if (c == '>') {
      in_uri = false;
    } else if (c == ',' && !in_uri) {
      ++entries;
    }
  }
  return entries;
}

}  // namespace

Result run_action(const HeaderAction& action, const std::vector<std::string_view>& groups,
                  RuleMessage& message) {
  auto& lines = message.lines();
  const FieldRef& target = action.target;
  const auto value = [&]() -> tl::expected<std::string, std::string> {
    auto text = expand(action.value, groups, kMaxHeaderValueSize);
    if (!text || groups.empty() || (target.part != HeaderPart::value && target.part != HeaderPart::uri))
      return text;
    // Captured text comes from the peer: it may fill the entries the rule writes, never add one
    // (a second P-Asserted-Identity, RFC 3325 §9.1, or another Diversion): the value has as many
    // entries as the rule's own text with every capture empty.
    auto bare = expand(action.value, {}, kMaxHeaderValueSize);
    if (bare && top_level_entries(*text) != top_level_entries(*bare))
      return tl::unexpected(std::string("a captured value would add entries to the header"));
    return text;
  };
  switch (action.kind) {
    case ActionKind::add: {
      auto text = value();
      if (!text) return fail(target.header.text + ": " + text.error());
      return add_line(message, target.header, std::move(*text));
    }
    case ActionKind::remove:
      lines.erase(std::remove_if(lines.begin(), lines.end(),
                                 [&](const Line& l) {
                                   std::vector<std::string_view> unused;
                                   return target.header.matches(l.name, l.id) &&
                                          (!action.regex || search(*action.regex, l.value, unused));
                                 }),
                  lines.end());
      return {};
    case ActionKind::replace: {
      if (!action.regex) {
        auto text = value();
        if (!text) return fail(target.header.text + ": " + text.error());
        if (std::none_of(lines.begin(), lines.end(),
                         [&](const Line& l) { return target.header.matches(l.name, l.id); }))
          return {};
        return set_whole(message, target.header, std::move(*text));
      }
      for (Line& line : lines) {
        if (!target.header.matches(line.name, line.id)) continue;
        auto text = replace_all(*action.regex, line.value, action.value, kMaxHeaderValueSize);
        if (!text) return fail(target.header.text + ": " + text.error());
        if (*text == line.value) continue;
        if (auto check = check_line(target.header, line.id, *text); !check) return check;
        line.value = message.keep(std::move(*text));
        line.written = true;
      }
      return {};
    }
    case ActionKind::rename: {
      std::string_view name;
      for (Line& line : lines) {
        if (!target.header.matches(line.name, line.id)) continue;
        if (name.empty()) name = message.keep(action.new_name.text);
        if (auto check = check_line(action.new_name, action.new_name.id, line.value); !check) return check;
        line.name = name;
        line.id = action.new_name.id;
        line.written = true;
      }
      return {};
    }
    case ActionKind::set: {
      auto text = value();
      if (!text) return fail(target.header.text + ": " + text.error());
      return run_set(action, std::move(*text), message);
    }
    case ActionKind::unset:
      return edit_field(message, target, true, [](std::optional<std::string_view> current) {
        return current ? PartEdit{PartEdit::Kind::remove, {}} : PartEdit{};
      });
    case ActionKind::strip_prefix:
    case ActionKind::add_prefix: {
      auto text = value();
      if (!text) return fail(target.header.text + ": " + text.error());
      return run_prefix(action, std::move(*text), message);
    }
    case ActionKind::copy: return run_copy(action, message);
    case ActionKind::allow_only:
      lines.erase(
          std::remove_if(lines.begin(), lines.end(), [&](const Line& l) { return !allowed(action, l); }),
          lines.end());
      return {};
    case ActionKind::body_replace: {
      auto text = replace_all(*action.regex, message.body(), action.value, kMaxBodySize);
      if (!text) return fail("body: " + text.error());
      if (*text != message.body()) message.set_body(std::move(*text));
      return {};
    }
  }
  return {};
}

}  // namespace osprey::sbc
