#pragma once
// Whether a header rule's match holds for a message, collecting its regular expressions'
// capture groups for the actions' $1..$9.

#include <string_view>
#include <vector>

#include "sbc/header_rule.hpp"
#include "sbc/header_rule_message.hpp"

namespace osprey::sbc {

// Calls visit(element) for each element of `line` a part is read from: the whole value for
// HeaderPart::value and for single-valued headers, each comma-separated element of a list
// header otherwise (RFC 3261 §7.3.1: several Contacts or PAIs on one line). visit returns
// false to stop.
template <typename Visit>
void for_each_part_element(const RuleMessage::Line& line, HeaderPart part, Visit&& visit);

// True when `match` holds; `groups` then holds the capture groups of its regex conditions in
// order (a negated or absent one contributes empty groups, so the numbering does not shift).
bool rule_matches(const RuleMatch& match, const RuleMessage& message, std::vector<std::string_view>& groups);

// The first value of `field` in `message` (the first element's part of the first line).
std::optional<std::string_view> first_part(const RuleMessage& message, const FieldRef& field);

}  // namespace osprey::sbc

#include "sip/value_list.hpp"

namespace osprey::sbc {

template <typename Visit>
void for_each_part_element(const RuleMessage::Line& line, HeaderPart part, Visit&& visit) {
  if (part == HeaderPart::value || !sip::is_list_header(line.id)) {
    visit(line.value);
    return;
  }
  sip::for_each_list_element(line.value, visit);
}

}  // namespace osprey::sbc
