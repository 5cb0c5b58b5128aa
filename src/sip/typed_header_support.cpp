#include "sip/typed_header_support.hpp"

namespace osprey::sip {

tl::unexpected<ParseError> relabel(ParseError error, std::string_view header, std::size_t base) {
  std::string prefix = "Malformed " + std::string(header);
  if (error.reason.compare(0, prefix.size(), prefix) != 0) error.reason = prefix + ": " + error.reason;
  error.category = ErrorCategory::header_syntax;
  error.header = std::string(header);
  error.offset += base;
  error.server_status = 400;
  return tl::unexpected<ParseError>(std::move(error));
}

Result<std::optional<Param>> unique_param(std::string_view params, std::string_view name,
                                          std::string_view header, std::string_view element) {
  std::optional<Param> found;
  bool twice = false;
  std::size_t twice_at = 0;
  for_each_param(params, [&](const Param& p) {
    if (!iequals(p.name, name)) return true;
    if (found) {
      twice = true;
      twice_at = offset_in(element, p.name);
      return false;
    }
    found = p;
    return true;
  });
  if (twice) return malformed(header, "duplicate " + std::string(name) + " parameter", twice_at);
  return found;
}

}  // namespace osprey::sip
