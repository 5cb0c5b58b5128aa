#include "sip/params.hpp"

#include <string>

namespace osprey::sip {

std::optional<Param> find_param(std::string_view params, std::string_view name) {
  std::optional<Param> found;
  for_each_param(params, [&](const Param& p) {
    if (iequals(p.name, name)) {
      found = p;
      return false;
    }
    return true;
  });
  return found;
}

Result<std::string_view> scan_header_params(Scanner& scanner, std::string_view header,
                                            std::size_t base_offset) {
  std::size_t begin = scanner.pos();
  std::size_t end = begin;
  // Leading whitespace before the first ';' is not part of the span.
  bool first = true;
  while (true) {
    std::size_t save = scanner.pos();
    if (!scanner.consume_separator(';')) {
      scanner.set_pos(save);
      break;
    }
    if (first) {
      // The span starts at the ';' itself.
      std::string_view rest = scanner.text().substr(save);
      begin = save + rest.find(';');
      first = false;
    }
    std::string_view name = scanner.take_token();
    if (name.empty()) {
      return make_error(ErrorCategory::header_syntax, "Empty parameter in " + std::string(header),
                        std::string(header), base_offset + scanner.pos());
    }
    std::size_t after_name = scanner.pos();
    if (scanner.consume_separator('=')) {
      if (scanner.peek() == '"') {
        if (!scanner.take_quoted_string()) {
          return make_error(ErrorCategory::header_syntax,
                            "Unterminated quoted string in " + std::string(header), std::string(header),
                            base_offset + scanner.pos());
        }
      } else if (scanner.peek() == '[') {
        // gen-value may be an IPv6 reference (RFC 5118 §4.5: received=[...]).
        std::string_view v6 = scanner.take_until_any("]");
        if (!scanner.consume(']') || v6.size() < 3) {
          return make_error(ErrorCategory::header_syntax,
                            "Malformed IPv6 reference in " + std::string(header), std::string(header),
                            base_offset + scanner.pos());
        }
      } else {
        // token, or host: hostname/IPv4 are token characters; bare IPv6 adds ':'.
        std::string_view value = scanner.take_class(kToken | kParamUnreserved);
        if (value.empty()) {
          return make_error(ErrorCategory::header_syntax, "Missing parameter value in " + std::string(header),
                            std::string(header), base_offset + scanner.pos());
        }
      }
    } else {
      scanner.set_pos(after_name);
    }
    end = scanner.pos();
  }
  if (first) return std::string_view{};
  return scanner.text().substr(begin, end - begin);
}

}  // namespace osprey::sip
