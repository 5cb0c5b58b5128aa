#pragma once
// Splits a list header value into its comma-separated elements (RFC 3261 §7.3.1), ignoring
// commas inside quoted strings and <...>. Elements are trimmed views; an empty element between
// two commas is reported as an empty view so the typed parser can call it a defect.

#include <string_view>

#include "sip/scanner.hpp"

namespace osprey::sip {

template <typename Visit>
void for_each_list_element(std::string_view value, Visit&& visit) {
  if (trim_lws(value).empty()) return;  // an empty list ("Supported:") has no elements
  std::size_t start = 0;
  bool in_quotes = false;
  bool in_angle = false;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size()) {
      char c = value[i];
      if (in_quotes) {
        // quoted-pair (RFC 3261 §25.1) skips the escaped byte. A '\\' that ends the value escapes
        // nothing: stepping over it would also step over the end, and the last element would
        // never be visited (a list "<sip:a@b>, \"x\\" read as one contact). It stays in the
        // element, whose parser refuses the open quoted-string.
        if (c == '\\' && i + 1 < value.size())
          ++i;
        else if (c == '"')
          in_quotes = false;
        continue;
      }
      if (c == '"') {
        in_quotes = true;
        continue;
      }
      if (c == '<')
        in_angle = true;
      else if (c == '>')
        in_angle = false;
      if (c != ',' || in_angle) continue;
    }
    std::size_t end = i > value.size() ? value.size() : i;
    if (!visit(trim_lws(value.substr(start, end - start)))) return;
    start = i + 1;
  }
}

}  // namespace osprey::sip
