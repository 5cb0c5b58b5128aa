#include "sip/route.hpp"

#include <optional>
#include <string>

#include "sip/header_lines.hpp"
#include "sip/scanner.hpp"
#include "sip/value_list.hpp"

namespace osprey::sip {

namespace {

// Position of `part`, a view into `whole`, within `whole`.
std::size_t position_in(std::string_view whole, std::string_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

}  // namespace

Result<std::vector<NameAddr>> parse_route_list(std::string_view value, std::string_view header,
                                               std::size_t offset) {
  std::vector<NameAddr> result;
  if (trim_lws(value).empty()) return malformed(header, "empty value", offset);
  std::optional<ParseError> error;
  for_each_list_element(value, [&](std::string_view element) {
    std::size_t at = offset + position_in(value, element);
    if (element.empty()) {
      error = malformed(header, "empty element in list", at).value();
      return false;
    }
    auto address = parse_name_addr(element, header, at);
    if (!address) {
      error = std::move(address.error());
      return false;
    }
    if (!address->bracketed) {
      error = malformed(header, "the URI must be enclosed in <>", at).value();
      return false;
    }
    result.push_back(*address);
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return result;
}

Result<std::vector<NameAddr>> routes(const Message& message, HeaderId id) {
  std::vector<NameAddr> result;
  std::optional<ParseError> error;
  for_each_header_line(message, id, [&](const HeaderLine& line) {
    auto list = parse_route_list(line.value, canonical_name(id), line.offset);
    if (!list) {
      error = std::move(list.error());
      return false;
    }
    result.insert(result.end(), list->begin(), list->end());
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return result;
}

bool is_loose_route(const Uri& uri) { return uri.is_sip() && uri.has_param("lr"); }

}  // namespace osprey::sip
