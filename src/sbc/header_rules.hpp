#pragma once
// Per-trunk header manipulation (the SBC's rule language, sbc/header_rule_*.hpp): ordered rules,
// each a match (method, response code, header present, header or URI part equal to / matching a
// regular expression) and actions (add, remove, replace, rename, set URI part, prefix, copy,
// allow-list). Built from the configuration (app/header_rules_config.hpp), applied by the B2BUA
// to each message entering or leaving through a trunk.

#include <memory>
#include <string>

#include <tl/expected.hpp>

#include "sip/message.hpp"

namespace osprey::sbc {

class HeaderRules {
 public:
  virtual ~HeaderRules() = default;
  // Applies the rules in order to `message` (a request or a response), editing it in place with
  // sip::Message's edits. An error when an action would make the message invalid; the caller
  // then sends nothing and fails the leg (500 toward the other side).
  virtual tl::expected<void, std::string> apply(sip::Message& message) const = 0;
};

}  // namespace osprey::sbc
