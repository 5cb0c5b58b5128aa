#include "sip/header_lines.hpp"

namespace osprey::sip {

Result<std::optional<HeaderLine>> single_line(const Message& message, HeaderId id) {
  std::optional<HeaderLine> first;
  std::optional<HeaderLine> second;
  for_each_header_line(message, id, [&](const HeaderLine& line) {
    if (!first) {
      first = line;
      return true;
    }
    second = line;
    return false;
  });
  if (second) {
    return make_error(ErrorCategory::duplicate_header,
                      "Multiple " + std::string(canonical_name(id)) + " headers",
                      std::string(canonical_name(id)), second->offset);
  }
  return first;
}

}  // namespace osprey::sip
