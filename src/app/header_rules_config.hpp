#pragma once
// A trunk's header rules in the configuration (docs/header-rules.md is the reference):
//
//   [[trunk.rules_out]]
//   name = "national numbers to E.164"     # optional, shown in errors
//   message = "request"                    # request | response | any (default)
//   methods = ["INVITE"]                   # request method, or the CSeq method of a response
//   status = ["2xx", "180"]                # responses only
//   present = ["P-Asserted-Identity"]      # headers that must be there / absent = [...]
//   when = [{ header = "Request-URI", part = "user", regex = '^0([1-9]\d+)$' }]
//   actions = [{ action = "set", header = "Request-URI", part = "user", value = "+44$1" }]
//
// Every mistake is a config error with its line: an unknown key, a bad regular expression, an
// action no rule may take (removing Via, the From tag), a $N with no capture group.

#include <memory>
#include <string>

#include <toml++/toml.h>

#include "app/config_reader.hpp"
#include "sbc/header_rules.hpp"

namespace osprey::app {

// Reads one trunk's rule list (the array of tables under `rules_in` or `rules_out`); `where`
// names it in errors ("trunk[0].rules_out"). nullptr when the list is empty or has an error
// (recorded in `state`).
std::shared_ptr<const sbc::HeaderRules> read_header_rules(ReadState& state, const toml::array& rules,
                                                          const std::string& where);

}  // namespace osprey::app
