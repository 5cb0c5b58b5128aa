#include "sip/media_type.hpp"

#include "sip/header_lines.hpp"
#include "sip/numeric_headers.hpp"
#include "sip/params.hpp"
#include "sip/scanner.hpp"
#include "sip/value_list.hpp"

namespace osprey::sip {

namespace {

// Position of `part`, a view into `whole`, within `whole`.
std::size_t position_in(std::string_view whole, std::string_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

// *(SEMI m-parameter), m-parameter = m-attribute EQUAL m-value, m-value = token / quoted-string.
// Stricter than generic-param: a value is required, and a bare host or IPv6 reference is not one.
// Returns the span as written, starting at the first ';'.
Result<std::string_view> scan_media_params(Scanner& s, std::string_view header, std::size_t offset) {
  std::size_t begin = std::string_view::npos;
  std::size_t end = s.pos();
  while (true) {
    std::size_t save = s.pos();
    if (!s.consume_separator(';')) {
      s.set_pos(save);
      break;
    }
    if (begin == std::string_view::npos) begin = save + s.text().substr(save).find(';');
    std::size_t name_at = s.pos();
    if (s.take_token().empty()) return malformed(header, "empty parameter", offset + name_at);
    if (!s.consume_separator('=')) return malformed(header, "parameter without value", offset + name_at);
    if (s.peek() == '"') {
      if (!s.take_quoted_string()) return malformed(header, "unterminated quoted string", offset + s.pos());
    } else if (s.take_token().empty()) {
      return malformed(header, "parameter value must be a token or quoted-string", offset + s.pos());
    }
    end = s.pos();
  }
  if (begin == std::string_view::npos) return std::string_view{};
  return s.text().substr(begin, end - begin);
}

// m-type SLASH m-subtype at the scanner.
Result<void> scan_type_subtype(Scanner& s, std::string_view header, std::size_t offset,
                               std::string_view& type, std::string_view& subtype) {
  s.skip_lws();
  std::size_t type_at = s.pos();
  type = s.take_token();
  if (type.empty()) return malformed(header, "missing media type", offset + type_at);
  if (!s.consume_separator('/')) return malformed(header, "missing '/' after media type", offset + s.pos());
  std::size_t subtype_at = s.pos();
  subtype = s.take_token();
  if (subtype.empty()) return malformed(header, "missing media subtype", offset + subtype_at);
  return {};
}

}  // namespace

std::optional<std::string_view> MediaType::param(std::string_view name) const {
  auto p = find_param(params, name);
  if (!p) return std::nullopt;
  return p->value;
}

std::optional<std::string> MediaType::param_text(std::string_view name) const {
  auto raw = param(name);
  if (!raw) return std::nullopt;
  return unquote(*raw);
}

bool MediaType::is(std::string_view type_name, std::string_view subtype_name) const {
  return iequals(type, type_name) && iequals(subtype, subtype_name);
}

bool MediaRange::matches(const MediaType& media) const {
  if (type != "*" && !iequals(type, media.type)) return false;
  return subtype == "*" || iequals(subtype, media.subtype);
}

Result<MediaType> parse_content_type(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "Content-Type";
  MediaType result;
  Scanner s(value);
  if (auto ts = scan_type_subtype(s, kHeader, offset, result.type, result.subtype); !ts) {
    return tl::unexpected(std::move(ts.error()));
  }
  auto params = scan_media_params(s, kHeader, offset);
  if (!params) return tl::unexpected(std::move(params.error()));
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  result.params = *params;
  return result;
}

Result<std::vector<MediaRange>> parse_accept(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "Accept";
  std::vector<MediaRange> result;
  std::optional<ParseError> error;
  for_each_list_element(value, [&](std::string_view element) {
    std::size_t at = offset + position_in(value, element);
    if (element.empty()) {
      error = malformed(kHeader, "empty element in list", at).value();
      return false;
    }
    MediaRange range;
    Scanner s(element);
    if (auto ts = scan_type_subtype(s, kHeader, at, range.type, range.subtype); !ts) {
      error = std::move(ts.error());
      return false;
    }
    // m-parameters and accept-params together: generic-param covers both spellings.
    auto params = scan_header_params(s, kHeader, at);
    if (!params) {
      error = std::move(params.error());
      return false;
    }
    if (auto end = expect_value_end(s, kHeader, at); !end) {
      error = std::move(end.error());
      return false;
    }
    range.params = *params;
    bool bad_q = false;
    for_each_param(range.params, [&](const Param& p) {
      if (!iequals(p.name, "q")) return true;
      auto q = parse_qvalue(p.value);
      if (!q) {
        bad_q = true;
        return false;
      }
      if (!range.q) range.q = *q;
      return true;
    });
    if (bad_q) {
      error = malformed(kHeader, "q must be a qvalue", at).value();
      return false;
    }
    result.push_back(range);
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return result;
}

Result<ContentDisposition> parse_content_disposition(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "Content-Disposition";
  ContentDisposition result;
  Scanner s(value);
  s.skip_lws();
  std::size_t type_at = s.pos();
  result.type = s.take_token();
  if (result.type.empty()) return malformed(kHeader, "missing disposition type", offset + type_at);
  auto params = scan_header_params(s, kHeader, offset);
  if (!params) return tl::unexpected(std::move(params.error()));
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  result.params = *params;
  bool bad_handling = false;
  bool seen = false;
  for_each_param(result.params, [&](const Param& p) {
    if (!iequals(p.name, "handling")) return true;
    // handling-param = "handling" EQUAL ( "optional" / "required" / other-handling(token) )
    if (!p.has_value || !is_token(p.value)) {
      bad_handling = true;
      return false;
    }
    if (seen) return true;
    seen = true;
    result.handling = p.value;
    if (iequals(p.value, "optional")) {
      result.handling_kind = DispositionHandling::optional;
    } else if (iequals(p.value, "required")) {
      result.handling_kind = DispositionHandling::required;
    } else {
      result.handling_kind = DispositionHandling::other;
    }
    return true;
  });
  if (bad_handling) {
    return malformed(kHeader, "handling must be a token", offset + position_in(value, result.params));
  }
  return result;
}

Result<std::optional<MediaType>> content_type(const Message& message) {
  return parse_single_line<MediaType>(message, HeaderId::content_type, parse_content_type);
}

Result<std::optional<ContentDisposition>> content_disposition(const Message& message) {
  return parse_single_line<ContentDisposition>(message, HeaderId::content_disposition,
                                               parse_content_disposition);
}

Result<std::optional<std::vector<MediaRange>>> accept_ranges(const Message& message) {
  std::optional<std::vector<MediaRange>> result;
  std::optional<ParseError> error;
  for_each_header_line(message, HeaderId::accept, [&](const HeaderLine& line) {
    auto list = parse_accept(line.value, line.offset);
    if (!list) {
      error = std::move(list.error());
      return false;
    }
    if (!result) result.emplace();
    result->insert(result->end(), list->begin(), list->end());
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return result;
}

}  // namespace osprey::sip
