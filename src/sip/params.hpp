#pragma once
// Semicolon-separated parameters: URI parameters (RFC 3261 §19.1.1) and header parameters
// (generic-param, §25.1). Both are kept as one raw view and searched on demand, so parsing a
// message allocates nothing for them.

#include <optional>
#include <string_view>

#include "sip/error.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {

struct Param {
  std::string_view name;
  std::string_view value;  // raw: quoted-strings keep their quotes; empty when there is no "="
  bool has_value = false;
};

// Walks the parameters of `params` (text that starts with ';' or is empty), LWS-tolerant,
// quoted-string aware. `visit(Param)` returns false to stop early.
template <typename Visit>
void for_each_param(std::string_view params, Visit&& visit) {
  std::size_t i = 0;
  while (i < params.size()) {
    // Skip the ';' and surrounding LWS.
    while (i < params.size() && (params[i] == ';' || params[i] == ' ' || params[i] == '\t' ||
                                 params[i] == '\r' || params[i] == '\n'))
      ++i;
    std::size_t start = i;
    bool in_quotes = false;
    while (i < params.size()) {
      char c = params[i];
      if (in_quotes) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_quotes = false;
        }
      } else if (c == '"') {
        in_quotes = true;
      } else if (c == ';') {
        break;
      }
      ++i;
    }
    std::string_view item = trim_lws(params.substr(start, (i > params.size() ? params.size() : i) - start));
    if (item.empty()) continue;
    Param p;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      p.name = item;
    } else {
      p.name = trim_lws(item.substr(0, eq));
      p.value = trim_lws(item.substr(eq + 1));
      p.has_value = true;
    }
    if (!visit(p)) return;
  }
}

// The first parameter named `name` (case-insensitive), if any.
std::optional<Param> find_param(std::string_view params, std::string_view name);

// Parses *( SEMI generic-param ) at the scanner: generic-param = token [ EQUAL gen-value ],
// gen-value = token / host / quoted-string. Stops before anything that is not a ';'.
// Returns the raw span (starting at the first ';'), or an error naming `header`.
Result<std::string_view> scan_header_params(Scanner& scanner, std::string_view header,
                                            std::size_t base_offset);

}  // namespace osprey::sip
