#pragma once
// One header rule, as data: a match and the actions that run when it holds (the shape of
// Oracle's HMR and AudioCodes' message manipulation). Rules are built from the configuration
// (app/header_rules_config.hpp) or in code, checked by check_action(), and run in order by
// HeaderRuleSet (sbc/header_rule_set.hpp). docs/header-rules.md is the users' reference.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "sip/header_id.hpp"

namespace osprey::sbc {

// A header name as a rule writes it; matches the message's lines case-insensitively and in
// compact form too ("f" is From, RFC 3261 §7.3.3).
struct HeaderName {
  std::string text;
  sip::HeaderId id = sip::HeaderId::other;

  static HeaderName of(std::string_view name);
  bool matches(std::string_view name, sip::HeaderId line_id) const;
};

// The pseudo header that names the Request-URI (AudioCodes spells it the same way).
inline constexpr std::string_view kRequestUriName = "Request-URI";

// The part of a header value (each name-addr element of it) or of the Request-URI that a
// condition reads or an action writes.
enum class HeaderPart : std::uint8_t {
  value,         // the whole line's value (the Request-URI: the whole URI)
  uri,           // the URI of a name-addr (From: "Bob" <sip:bob@x>;tag=1 -> sip:bob@x)
  user,          // sip/sips user part, tel number
  host,          // sip/sips host
  port,          // sip/sips port ("" when absent)
  uri_param,     // a URI parameter (`param`)
  display_name,  // the display name, unquoted
  header_param,  // a header parameter after the URI (`param`: tag, reason, privacy...)
};

struct FieldRef {
  HeaderName header;
  bool request_uri = false;
  HeaderPart part = HeaderPart::value;
  std::string param;  // uri_param / header_param: its name
};

using Regex = std::shared_ptr<const re2::RE2>;

// A condition on a header or the Request-URI: true when some element's part equals `equals` or
// matches `regex` (searched, not anchored); with neither, when the part exists. `negate` turns
// it round. A regex's capture groups become $1.. of the rule's values, numbered across the
// rule's conditions in order.
struct HeaderCondition {
  FieldRef field;
  std::optional<std::string> equals;
  Regex regex;
  bool negate = false;
};

enum class MessageKind : std::uint8_t { any, request, response };

// Status codes low..high ("2xx" is 200..299, "486" is 486..486).
struct StatusRange {
  int low = 0;
  int high = 0;
};

struct RuleMatch {
  MessageKind kind = MessageKind::any;
  // Request methods; for a response, the method of its CSeq. Empty: any. Case-sensitive
  // (RFC 3261 §7.1).
  std::vector<std::string> methods;
  std::vector<StatusRange> statuses;  // responses only; empty: any
  std::vector<HeaderName> present;    // every one of these headers is in the message
  std::vector<HeaderName> absent;     // none of these is
  std::vector<HeaderCondition> conditions;
};

enum class ActionKind : std::uint8_t {
  add,           // a new line `header: value` at the end
  remove,        // every line of `header` (only those whose value matches `regex`, if set)
  replace,       // every line's value: `value`, or each match of `regex` replaced by `value`
  rename,        // every line of `header` renamed `new_name`
  set,           // `target`'s part = value (part value on an absent header: added)
  unset,         // removes a URI/header parameter, the display name or the port
  strip_prefix,  // removes `value` from the start of the part when it starts with it
  add_prefix,    // puts `value` in front of the part
  copy,          // `target`'s part = `source`'s part (all lines when both are whole values)
  allow_only,    // removes every header not in `allowed` and not in the protected set
  body_replace,  // each match of `regex` in the body replaced by `value`
};

struct HeaderAction {
  ActionKind kind = ActionKind::add;
  FieldRef target;
  FieldRef source;                  // copy
  std::string value;                // a template: $1..$9 (the rule's captures, or `regex`'s own), $$
  Regex regex;                      // remove, replace, body_replace
  HeaderName new_name;              // rename
  std::vector<HeaderName> allowed;  // allow_only
};

struct HeaderRule {
  std::string name;  // for errors and logs
  RuleMatch match;
  std::vector<HeaderAction> actions;
};

// RFC 3261 §25.1: a header name is a token.
bool is_header_name(std::string_view text);

// Headers a message cannot lose (RFC 3261 §8.1.1, §20: the transaction and dialog keys, the
// framing, the route set): no rule removes or renames them and the allow-list keeps them.
bool is_protected_header(sip::HeaderId id);

// Whether `action` is allowed and complete; the reason when not. Header rules may rewrite
// identities and targets, but not the transaction key (Via, Call-ID, CSeq), the framing
// (Content-Length) or a dialog tag, and no value may carry a line break.
std::optional<std::string> check_action(const HeaderAction& action);
// Same for a condition (a part that exists for the field).
std::optional<std::string> check_condition(const HeaderCondition& condition);

// Bounds on one rule set, checked when it is built (sbc/header_rule_set.hpp).
inline constexpr std::size_t kMaxRules = 256;
inline constexpr std::size_t kMaxActionsPerRule = 64;
inline constexpr std::size_t kMaxRuleValueLength = 1024;

}  // namespace osprey::sbc
