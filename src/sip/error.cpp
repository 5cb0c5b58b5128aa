#include "sip/error.hpp"

namespace osprey::sip {

std::string_view to_string(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::need_more: return "need_more";
    case ErrorCategory::start_line: return "start_line";
    case ErrorCategory::version: return "version";
    case ErrorCategory::header_syntax: return "header_syntax";
    case ErrorCategory::missing_header: return "missing_header";
    case ErrorCategory::duplicate_header: return "duplicate_header";
    case ErrorCategory::content_length: return "content_length";
    case ErrorCategory::too_large: return "too_large";
    case ErrorCategory::uri: return "uri";
    case ErrorCategory::semantic: return "semantic";
  }
  return "unknown";
}

}  // namespace osprey::sip
