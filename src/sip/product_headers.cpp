#include "sip/product_headers.hpp"

#include "sip/header_lines.hpp"
#include "sip/scanner.hpp"
#include "sip/text_rules.hpp"

namespace osprey::sip {

Result<std::vector<ServerValue>> parse_server_values(std::string_view value, std::string_view header,
                                                     std::size_t offset) {
  std::vector<ServerValue> result;
  Scanner s(value);
  s.skip_lws();
  if (s.at_end()) return malformed(header, "empty value", offset);
  bool separated = true;  // LWS (or a comment's parenthesis) since the previous server-val
  while (!s.at_end()) {
    ServerValue item;
    if (s.peek() == '(') {
      // LPAREN = SWS "(" SWS: a comment needs no LWS before it.
      std::size_t at = s.pos();
      auto comment = take_comment(s);
      if (!comment) return malformed(header, "malformed comment", offset + at);
      item.comment = *comment;
      separated = true;  // RPAREN = SWS ")" SWS: nor after it
    } else {
      std::size_t at = s.pos();
      if (!separated) return malformed(header, "products must be separated by LWS", offset + at);
      item.product = s.take_token();
      if (item.product.empty())
        return malformed(header, "expected a product token or a comment", offset + at);
      // SLASH = SWS "/" SWS
      if (s.consume_separator('/')) {
        std::size_t version_at = s.pos();
        item.version = s.take_token();
        if (item.version.empty()) return malformed(header, "missing product-version", offset + version_at);
      }
      separated = false;
    }
    result.push_back(item);
    if (s.skip_lws()) separated = true;
  }
  return result;
}

Result<std::string_view> parse_text_utf8(std::string_view value, std::string_view header,
                                         std::size_t offset) {
  // LWS is allowed anywhere in the check, so a bare CR or LF at either end is caught before trimming.
  if (!is_text_utf8_trim(value)) return malformed(header, "control character or invalid UTF-8", offset);
  return trim_lws(value);
}

Result<std::optional<std::vector<ServerValue>>> server_values(const Message& message, HeaderId id) {
  std::string_view header = canonical_name(id);
  return parse_single_line<std::vector<ServerValue>>(message, id,
                                                     [header](std::string_view value, std::size_t offset) {
                                                       return parse_server_values(value, header, offset);
                                                     });
}

Result<std::optional<std::string_view>> text_header(const Message& message, HeaderId id) {
  std::string_view header = canonical_name(id);
  return parse_single_line<std::string_view>(message, id,
                                             [header](std::string_view value, std::size_t offset) {
                                               return parse_text_utf8(value, header, offset);
                                             });
}

}  // namespace osprey::sip
