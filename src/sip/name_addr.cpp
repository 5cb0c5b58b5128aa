#include "sip/name_addr.hpp"

#include "sip/scanner.hpp"

namespace osprey::sip {

std::optional<std::string_view> NameAddr::param(std::string_view name) const {
  auto p = find_param(params, name);
  if (!p) return std::nullopt;
  return p->value;
}

std::string_view NameAddr::tag() const { return param("tag").value_or(std::string_view{}); }

std::string NameAddr::display_text() const {
  if (!display_name.empty() && display_name.front() == '"') return unquote(display_name);
  return std::string(display_name);
}

Result<NameAddr> parse_name_addr(std::string_view element, std::string_view header, std::size_t offset) {
  auto error = [&](std::string reason, std::size_t at) {
    return make_error(ErrorCategory::header_syntax, std::move(reason), std::string(header), offset + at);
  };
  NameAddr result;
  result.text = element;
  Scanner s(element);
  s.skip_lws();
  std::size_t start = s.pos();
  bool name_addr_form = false;
  if (s.peek() == '"') {
    auto quoted = s.take_quoted_string();
    if (!quoted) return error("Unterminated quoted display name in " + std::string(header), s.pos());
    result.display_name = *quoted;
    s.skip_lws();
    if (s.peek() != '<') return error("Missing <URI> after display name in " + std::string(header), s.pos());
    name_addr_form = true;
  } else if (s.peek() == '<') {
    name_addr_form = true;
  } else {
    // display-name = *(token LWS): tokens followed by '<' make a name-addr (RFC 4475 §3.1.1.6
    // accepts no LWS before '<'); anything else is an addr-spec.
    std::size_t last_token_end = start;
    while (true) {
      std::string_view token = s.take_token();
      if (token.empty()) break;
      last_token_end = s.pos();
      s.skip_lws();
    }
    if (s.peek() == '<' && last_token_end > start) {
      result.display_name = element.substr(start, last_token_end - start);
      name_addr_form = true;
    } else {
      s.set_pos(start);
    }
  }

  if (name_addr_form) {
    s.consume('<');
    std::size_t uri_start = s.pos();
    std::size_t close = element.find('>', uri_start);
    if (close == std::string_view::npos) return error("Missing '>' in " + std::string(header), uri_start);
    auto uri = parse_uri(element.substr(uri_start, close - uri_start));
    if (!uri) return error("Malformed URI in " + std::string(header) + ": " + uri.error().reason, uri_start);
    result.uri = *uri;
    result.bracketed = true;
    s.set_pos(close + 1);
  } else {
    // RFC 3261 §20.10: an unbracketed URI cannot contain ',', '?' or ';': they would be ambiguous.
    std::string_view uri_text = s.take_until_any("; \t\r\n,");
    auto uri = parse_uri(uri_text);
    if (!uri) return error("Malformed URI in " + std::string(header) + ": " + uri.error().reason, start);
    if (!uri->headers.empty())
      return error("URI with headers must be enclosed in <> in " + std::string(header), start);
    result.uri = *uri;
  }
  auto params = scan_header_params(s, header, offset);
  if (!params) return tl::unexpected(params.error());
  result.params = *params;
  s.skip_lws();
  if (!s.at_end()) return error("Unexpected characters after " + std::string(header) + " value", s.pos());
  return result;
}

}  // namespace osprey::sip
