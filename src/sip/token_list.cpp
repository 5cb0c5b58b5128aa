#include "sip/token_list.hpp"

#include <cstdint>
#include <optional>
#include <string>

#include "sip/event_headers.hpp"
#include "sip/header_lines.hpp"
#include "sip/numeric_headers.hpp"
#include "sip/params.hpp"
#include "sip/scanner.hpp"
#include "sip/value_list.hpp"

namespace osprey::sip {

namespace {

// Position of `part`, a view into `whole`, within `whole`.
std::size_t position_in(std::string_view whole, std::string_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

enum class ElementRule : std::uint8_t {
  token,          // Method, option-tag, content-coding
  event_type,     // Allow-Events
  language_tag,   // Content-Language
  coding_range,   // Accept-Encoding: codings *(SEMI accept-param)
  language_range  // Accept-Language: language-range *(SEMI accept-param)
};

struct ListRule {
  ElementRule element = ElementRule::token;
  bool may_be_empty = false;
};

ListRule rule_for(HeaderId id) {
  switch (id) {
    case HeaderId::allow:
    case HeaderId::supported: return {ElementRule::token, true};
    case HeaderId::allow_events: return {ElementRule::event_type, false};
    case HeaderId::content_language: return {ElementRule::language_tag, false};
    case HeaderId::accept_encoding: return {ElementRule::coding_range, true};
    case HeaderId::accept_language: return {ElementRule::language_range, true};
    default: return {ElementRule::token, false};
  }
}

// 1*8ALPHA *( "-" 1*8ALPHA ) (RFC 3261 §25.1 language-tag, and language-range without "*").
bool is_language_tag(std::string_view text) {
  std::size_t run = 0;
  for (char c : text) {
    if (c == '-') {
      if (run == 0) return false;
      run = 0;
    } else if (is_alpha(c) && run < 8) {
      ++run;
    } else {
      return false;
    }
  }
  return run > 0;
}

bool element_ok(ElementRule rule, std::string_view element) {
  switch (rule) {
    case ElementRule::token: return is_token(element);
    case ElementRule::event_type: return is_event_type(element);
    case ElementRule::language_tag: return is_language_tag(element);
    case ElementRule::coding_range: return is_token(element);  // "*" is a token character
    case ElementRule::language_range: return element == "*" || is_language_tag(element);
  }
  return false;
}

// Checks one line's value and hands each token to `on_item`, in order: the one walk behind
// parse_token_list (which keeps them) and check_token_list (which keeps nothing, so validating
// an Allow or Supported line costs no allocation).
template <typename OnItem>
Result<void> visit_token_list(std::string_view value, std::string_view header, std::size_t offset,
                              OnItem&& on_item) {
  ListRule rule = rule_for(lookup_header(header));
  if (trim_lws(value).empty()) {
    if (rule.may_be_empty) return {};  // "Supported:" is an empty list (RFC 3261 §20.37)
    return malformed(header, "empty value", offset);
  }
  bool with_params = rule.element == ElementRule::coding_range || rule.element == ElementRule::language_range;
  std::optional<ParseError> error;
  for_each_list_element(value, [&](std::string_view element) {
    std::size_t at = offset + position_in(value, element);
    if (element.empty()) {
      error = malformed(header, "empty element in list", at).value();
      return false;
    }
    std::string_view item = element;
    if (with_params) {
      Scanner s(element);
      item = s.take_until_any("; \t\r\n");
      auto params = scan_header_params(s, header, at);
      if (!params) {
        error = std::move(params.error());
        return false;
      }
      s.skip_lws();
      if (!s.at_end()) {
        error = malformed(header, "unexpected characters", at + s.pos()).value();
        return false;
      }
      // accept-param = ("q" EQUAL qvalue) / generic-param
      bool bad_q = false;
      for_each_param(*params, [&](const Param& p) {
        if (iequals(p.name, "q") && !parse_qvalue(p.value)) bad_q = true;
        return !bad_q;
      });
      if (bad_q) {
        error = malformed(header, "q must be a qvalue", at).value();
        return false;
      }
    }
    if (!element_ok(rule.element, item)) {
      error = malformed(header, "invalid list element", at).value();
      return false;
    }
    on_item(item);
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return {};
}

}  // namespace

Result<std::vector<std::string_view>> parse_token_list(std::string_view value, std::string_view header,
                                                       std::size_t offset) {
  std::vector<std::string_view> result;
  auto checked =
      visit_token_list(value, header, offset, [&](std::string_view item) { result.push_back(item); });
  if (!checked) return tl::unexpected(std::move(checked.error()));
  return result;
}

Result<void> check_token_list(std::string_view value, std::string_view header, std::size_t offset) {
  return visit_token_list(value, header, offset, [](std::string_view) {});
}

Result<std::vector<std::string_view>> token_list(const Message& message, HeaderId id) {
  std::vector<std::string_view> result;
  std::optional<ParseError> error;
  for_each_header_line(message, id, [&](const HeaderLine& line) {
    auto list = parse_token_list(line.value, canonical_name(id), line.offset);
    if (!list) {
      error = std::move(list.error());
      return false;
    }
    result.insert(result.end(), list->begin(), list->end());
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return result;
}

bool contains_token(const std::vector<std::string_view>& list, std::string_view token) {
  for (std::string_view item : list)
    if (iequals(item, token)) return true;
  return false;
}

}  // namespace osprey::sip
