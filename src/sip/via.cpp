#include "sip/via.hpp"

#include <string>

#include "sip/params.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {

std::optional<std::string_view> Via::param(std::string_view name) const {
  auto p = find_param(params, name);
  if (!p) return std::nullopt;
  return p->value;
}

Result<Via> parse_via(std::string_view element, std::size_t offset) {
  auto error = [&](std::string reason, std::size_t at) {
    return make_error(ErrorCategory::header_syntax, std::move(reason), "Via", offset + at);
  };
  Via via;
  via.text = element;
  Scanner s(element);
  s.skip_lws();
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport
  via.protocol_name = s.take_token();
  if (via.protocol_name.empty() || !s.consume_separator('/'))
    return error("Malformed Via sent-protocol", s.pos());
  via.protocol_version = s.take_token();
  if (via.protocol_version.empty() || !s.consume_separator('/'))
    return error("Malformed Via sent-protocol", s.pos());
  via.transport = s.take_token();
  if (via.transport.empty()) return error("Malformed Via transport", s.pos());
  if (!s.skip_lws()) return error("Missing space before Via sent-by", s.pos());
  // sent-by = host [ COLON port ]
  std::size_t host_len = host_length(s.rest());
  via.host = s.rest().substr(0, host_len);
  auto kind = classify_host(via.host);
  if (!kind) return error("Malformed Via sent-by host", s.pos());
  via.host_kind = *kind;
  s.advance(host_len);
  if (s.consume_separator(':')) {
    std::string_view digits = s.take_class(kDigit);
    auto port = parse_port(digits);
    if (!port) return error("Malformed Via port", s.pos());
    via.port = *port;
    via.has_port = true;
  }
  auto params = scan_header_params(s, "Via", offset);
  if (!params) return tl::unexpected(params.error());
  via.params = *params;
  s.skip_lws();
  if (!s.at_end()) return error("Unexpected characters in Via", s.pos());

  bool bad = false;
  std::string reason;
  for_each_param(via.params, [&](const Param& p) {
    if (iequals(p.name, "branch")) {
      if (!p.has_value || p.value.empty()) {
        bad = true;
        reason = "Empty Via branch";
        return false;
      }
      via.branch = p.value;
      via.has_branch = true;
    } else if (iequals(p.name, "received")) {
      via.received = p.value;
      via.has_received = true;
    } else if (iequals(p.name, "rport")) {
      via.rport = p.value;
      via.has_rport = true;
      if (p.has_value && !parse_port(p.value)) {
        bad = true;
        reason = "Malformed Via rport";
        return false;
      }
    } else if (iequals(p.name, "maddr")) {
      via.maddr = p.value;
    } else if (iequals(p.name, "ttl")) {
      auto ttl = parse_decimal(p.value, 255);
      if (!ttl) {
        bad = true;
        reason = "Malformed Via ttl";
        return false;
      }
      via.ttl = static_cast<std::uint8_t>(*ttl);
    }
    return true;
  });
  if (bad) return error(reason, 0);
  return via;
}

}  // namespace osprey::sip
