#pragma once
// Requests from known attack tools, recognised by their User-Agent (RFC 3261 §20.41). An attacker
// can change the header, but the mass scanners on the Internet mostly do not, and banning them on
// their first requests keeps them from ever reaching authentication. A miss costs nothing: the
// failed-authentication counting of BanTable still applies.

#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace osprey::security {

class ScannerFilter {
 public:
  // Patterns match as case-insensitive substrings; empty ones are ignored (they would match all).
  explicit ScannerFilter(std::vector<std::string> patterns);

  // The User-Agent fragments of tools made for attacking SIP servers (see the definition for why
  // each is there, and why some well-known tools are not).
  static std::vector<std::string> default_patterns();

  // Allocates nothing: patterns are lowercased once, at construction.
  bool is_scanner(std::string_view user_agent) const;
  // Any User-Agent line of `message`; a message without one is not a scanner.
  bool is_scanner(const sip::Message& message) const;

 private:
  std::vector<std::string> lowercase_patterns_;
};

}  // namespace osprey::security
