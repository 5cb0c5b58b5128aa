#pragma once
// Runs one header rule action on the rules' view of a message.

#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "sbc/header_rule.hpp"
#include "sbc/header_rule_message.hpp"

namespace osprey::sbc {

// `groups` are the rule's capture groups ($1..). An error when the action would make a value
// osprey would refuse (a URI that does not parse, a header its typed parser refuses, a line
// break, a value or body beyond the bounds); the view may then be half edited, and the caller
// drops it.
tl::expected<void, std::string> run_action(const HeaderAction& action,
                                           const std::vector<std::string_view>& groups, RuleMessage& message);

// After the last action: every line a rule wrote passes the typed parser of its header (when
// osprey has one), so a From without a URI or a History-Info without its index never leaves.
// Checked once at the end, so that a rule may build a value in steps (copy, then add a parameter).
tl::expected<void, std::string> check_written_lines(const RuleMessage& message);

}  // namespace osprey::sbc
