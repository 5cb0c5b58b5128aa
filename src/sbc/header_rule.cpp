#include "sbc/header_rule.hpp"

#include <algorithm>

namespace osprey::sbc {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
  });
}

// Header values are one line (RFC 3261 §7.3.1 folding is not for writers): a CR or LF from a
// rule would start a header of its own.
bool is_one_line(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7f;
  });
}

// The transaction key and the framing: read by conditions, written by no rule.
bool is_read_only(sip::HeaderId id) {
  using sip::HeaderId;
  return id == HeaderId::via || id == HeaderId::call_id || id == HeaderId::cseq ||
         id == HeaderId::content_length;
}

bool is_dialog_identity(sip::HeaderId id) { return id == sip::HeaderId::from || id == sip::HeaderId::to; }

std::optional<std::string> check_field(const FieldRef& field) {
  if (field.request_uri) {
    if (field.part == HeaderPart::display_name || field.part == HeaderPart::header_param) {
      return std::string("the Request-URI has no display name or header parameters");
    }
  } else if (!is_token(field.header.text)) {
    return "'" + field.header.text + "' is not a header name (RFC 3261 token)";
  }
  if ((field.part == HeaderPart::uri_param || field.part == HeaderPart::header_param) &&
      !is_token(field.param)) {
    return "'" + field.param + "' is not a parameter name";
  }
  return std::nullopt;
}

// What an action may write into `target`.
std::optional<std::string> check_writable(const FieldRef& target) {
  if (auto error = check_field(target)) return error;
  if (target.request_uri) return std::nullopt;
  const sip::HeaderId id = target.header.id;
  if (is_read_only(id))
    return "no rule may change " + target.header.text + " (the transaction key and framing)";
  if (is_dialog_identity(id)) {
    if (target.part == HeaderPart::value) {
      return "the whole " + target.header.text +
             " value cannot be set (its tag identifies the dialog): set its uri, user, host, "
             "port, param or display instead";
    }
    if (target.part == HeaderPart::header_param && equal_ignoring_case(target.param, "tag")) {
      return "the tag of " + target.header.text + " identifies the dialog: no rule may change it";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_not_protected(const HeaderName& name, std::string_view what) {
  if (is_protected_header(name.id)) {
    return std::string("no rule may ") + std::string(what) + " " + name.text +
           ": a SIP message cannot lose it (Via, From, To, Call-ID, CSeq, Max-Forwards, Contact, "
           "Content-Length, Content-Type, Route, Record-Route)";
  }
  return std::nullopt;
}

}  // namespace

bool is_header_name(std::string_view text) { return is_token(text); }

HeaderName HeaderName::of(std::string_view name) {
  return HeaderName{std::string(name), sip::lookup_header(name)};
}

bool HeaderName::matches(std::string_view name, sip::HeaderId line_id) const {
  if (id != sip::HeaderId::other) return line_id == id;
  return line_id == sip::HeaderId::other && equal_ignoring_case(name, text);
}

bool is_protected_header(sip::HeaderId id) {
  using sip::HeaderId;
  switch (id) {
    case HeaderId::via:
    case HeaderId::from:
    case HeaderId::to:
    case HeaderId::call_id:
    case HeaderId::cseq:
    case HeaderId::max_forwards:
    case HeaderId::contact:
    case HeaderId::content_length:
    case HeaderId::content_type:
    case HeaderId::route:
    case HeaderId::record_route: return true;
    default: return false;
  }
}

std::optional<std::string> check_condition(const HeaderCondition& condition) {
  if (auto error = check_field(condition.field)) return error;
  if (condition.equals && condition.regex)
    return std::string("a condition has either equals or regex, not both");
  return std::nullopt;
}

std::optional<std::string> check_action(const HeaderAction& action) {
  if (action.value.size() > kMaxRuleValueLength) {
    return "the value is longer than " + std::to_string(kMaxRuleValueLength) + " characters";
  }
  if (action.kind != ActionKind::body_replace && !is_one_line(action.value)) {
    return std::string("the value holds a line break or a control character");
  }
  const FieldRef& target = action.target;
  switch (action.kind) {
    case ActionKind::add:
      if (target.request_uri || target.part != HeaderPart::value) {
        return std::string("add writes a whole header: header = \"Name\", value = \"...\"");
      }
      if (auto error = check_field(target)) return error;
      if (is_protected_header(target.header.id)) {
        return "no rule may add another " + target.header.text + ": use set on it instead";
      }
      return std::nullopt;
    case ActionKind::remove:
      if (target.request_uri) return std::string("the Request-URI cannot be removed");
      if (target.part != HeaderPart::value)
        return std::string("remove takes whole headers: unset removes a part");
      if (auto error = check_field(target)) return error;
      return check_not_protected(target.header, "remove");
    case ActionKind::replace:
      if (target.request_uri || target.part != HeaderPart::value) {
        return std::string("replace works on whole header values: use set for a part or the Request-URI");
      }
      return check_writable(target);
    case ActionKind::rename:
      if (target.request_uri) return std::string("the Request-URI cannot be renamed");
      if (target.part != HeaderPart::value) return std::string("rename takes whole headers, not a part");
      if (auto error = check_field(target)) return error;
      if (auto error = check_not_protected(target.header, "rename")) return error;
      if (!is_token(action.new_name.text)) return "'" + action.new_name.text + "' is not a header name";
      return check_not_protected(action.new_name, "rename a header into");
    case ActionKind::set: return check_writable(target);
    case ActionKind::unset:
      if (target.part != HeaderPart::uri_param && target.part != HeaderPart::header_param &&
          target.part != HeaderPart::display_name && target.part != HeaderPart::port) {
        return std::string("unset removes a param, header-param, display or port: use remove for a header");
      }
      return check_writable(target);
    case ActionKind::strip_prefix:
    case ActionKind::add_prefix:
      if (action.value.empty()) return std::string("the prefix is empty");
      if (target.part == HeaderPart::port) return std::string("a port has no prefix");
      return check_writable(target);
    case ActionKind::copy:
      if (auto error = check_field(action.source)) return "from: " + *error;
      return check_writable(target);
    case ActionKind::allow_only:
      if (action.allowed.empty()) return std::string("the allow-list is empty");
      for (const HeaderName& name : action.allowed) {
        if (!is_token(name.text)) return "'" + name.text + "' is not a header name";
      }
      return std::nullopt;
    case ActionKind::body_replace:
      if (!action.regex) return std::string("body-replace needs a regex");
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace osprey::sbc
