#include "sip/via.hpp"

#include <string>

#include "sip/params.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {
namespace {

// The scan_via steps below return the reason of a malformed Via (the error is at the
// scanner's position) or null: no ParseError, so no allocation, until one is needed.

// RFC 3261 §20.42: sent-protocol = protocol-name SLASH protocol-version SLASH transport, then
// the LWS before sent-by.
const char* scan_sent_protocol(Scanner& s, Via& via) {
  via.protocol_name = s.take_token();
  if (via.protocol_name.empty() || !s.consume_separator('/')) return "Malformed Via sent-protocol";
  via.protocol_version = s.take_token();
  if (via.protocol_version.empty() || !s.consume_separator('/')) return "Malformed Via sent-protocol";
  via.transport = s.take_token();
  if (via.transport.empty()) return "Malformed Via transport";
  if (!s.skip_lws()) return "Missing space before Via sent-by";
  return nullptr;
}

// RFC 3261 §20.42: sent-by = host [ COLON port ].
const char* scan_sent_by(Scanner& s, Via& via) {
  HostScan host = scan_host(s.rest());
  via.host = s.rest().substr(0, host.length);
  if (!host.kind) return "Malformed Via sent-by host";
  via.host_kind = *host.kind;
  s.advance(host.length);
  if (s.consume_separator(':')) {
    auto port = parse_port(s.take_class(kDigit));
    if (!port) return "Malformed Via port";
    via.port = *port;
    via.has_port = true;
  }
  return nullptr;
}

// The value after "=" of a via-extension: gen-value = token / host / quoted-string (RFC 3261
// §25.1), plus a bracketed IPv6 received (RFC 5118 §4.5 tolerates received=[IPv6]).
const char* scan_via_param_value(Scanner& s, std::string_view& value) {
  if (s.peek() == '"') {
    auto quoted = s.take_quoted_string();
    if (!quoted) return "Unterminated quoted string in Via";
    value = *quoted;
  } else if (s.peek() == '[') {
    std::size_t start = s.pos();
    s.take_until_any("]");
    if (!s.consume(']') || s.pos() - start < 4) return "Malformed IPv6 reference in Via";
    value = s.text().substr(start, s.pos() - start);
  } else {
    value = s.take_class(kToken | kParamUnreserved);
    if (value.empty()) return "Missing parameter value in Via";
  }
  return nullptr;
}

// Picks up the via-params the transaction layer needs (RFC 3261 §20.42: branch, received,
// maddr, ttl; RFC 3581 §3: rport), checking their values.
const char* record_via_param(std::string_view name, std::string_view value, bool has_value, Via& via) {
  switch (ascii_lower(name[0])) {
    case 'b':
      if (iequals(name, "branch")) {
        if (value.empty()) return "Empty Via branch";
        via.branch = value;
        via.has_branch = true;
      }
      break;
    case 'r':
      if (iequals(name, "received")) {
        via.received = value;
        via.has_received = true;
      } else if (iequals(name, "rport")) {
        if (has_value && !parse_port(value)) return "Malformed Via rport";
        via.rport = value;
        via.has_rport = true;
      }
      break;
    case 'm':
      if (iequals(name, "maddr")) via.maddr = value;
      break;
    case 't':
      if (iequals(name, "ttl")) {
        auto ttl = parse_decimal(value, 255);
        if (!ttl) return "Malformed Via ttl";
        via.ttl = static_cast<std::uint8_t>(*ttl);
      }
      break;
    default: break;
  }
  return nullptr;
}

// Parses one via-parm at the scanner and stops after it (at a top-level ',' or the end).
// One pass: the parameters are validated and the ones the transaction layer needs picked up
// as they are read.
Result<Via> scan_via(Scanner& s, std::size_t offset) {
  auto error = [&](std::string reason, std::size_t at) {
    return make_error(ErrorCategory::header_syntax, std::move(reason), "Via", offset + at);
  };
  Via via;
  s.skip_lws();
  std::size_t begin = s.pos();
  if (const char* bad = scan_sent_protocol(s, via)) return error(bad, s.pos());
  if (const char* bad = scan_sent_by(s, via)) return error(bad, s.pos());
  std::size_t params_begin = std::string_view::npos;
  std::size_t params_end = 0;
  while (true) {
    std::size_t save = s.pos();
    if (!s.consume_separator(';')) {
      s.set_pos(save);
      break;
    }
    if (params_begin == std::string_view::npos) params_begin = s.text().find(';', save);
    std::string_view name = s.take_token();
    if (name.empty()) return error("Empty parameter in Via", s.pos());
    std::string_view value;
    bool has_value = false;
    std::size_t after_name = s.pos();
    if (s.consume_separator('=')) {
      has_value = true;
      if (const char* bad = scan_via_param_value(s, value)) return error(bad, s.pos());
    } else {
      s.set_pos(after_name);
    }
    params_end = s.pos();
    if (const char* bad = record_via_param(name, value, has_value, via)) return error(bad, s.pos());
  }
  if (params_begin != std::string_view::npos)
    via.params = s.text().substr(params_begin, params_end - params_begin);
  std::size_t end = s.pos();
  via.text = s.text().substr(begin, end - begin);
  s.skip_lws();
  return via;
}

}  // namespace

std::optional<std::string_view> Via::param(std::string_view name) const {
  auto p = find_param(params, name);
  if (!p) return std::nullopt;
  return p->value;
}

Result<Via> parse_via(std::string_view element, std::size_t offset) {
  Scanner s(element);
  auto via = scan_via(s, offset);
  if (via && !s.at_end()) {
    return make_error(ErrorCategory::header_syntax, "Unexpected characters in Via", "Via", offset + s.pos());
  }
  return via;
}

Result<Via> parse_first_via(std::string_view value, std::size_t offset) {
  Scanner s(value);
  auto via = scan_via(s, offset);
  if (via && !s.at_end() && s.peek() != ',') {
    return make_error(ErrorCategory::header_syntax, "Unexpected characters in Via", "Via", offset + s.pos());
  }
  return via;
}

}  // namespace osprey::sip
