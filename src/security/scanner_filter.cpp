#include "security/scanner_filter.hpp"
#include "sip/char_class.hpp"

#include <algorithm>

namespace osprey::security {
ScannerFilter::ScannerFilter(std::vector<std::string> patterns) : lowercase_patterns_(std::move(patterns)) {
  std::erase_if(lowercase_patterns_, [](const std::string& pattern) { return pattern.empty(); });
  for (std::string& pattern : lowercase_patterns_) pattern = sip::to_ascii_lower(pattern);
}

std::vector<std::string> ScannerFilter::default_patterns() {
  // Only tools whose purpose is finding and breaking into SIP servers, each distinctive enough
  // that no phone or server carries it by accident:
  return {
      "friendly-scanner",  // SIPVicious svmap / svwar / svcrack: their default User-Agent
      "sipvicious",        // SIPVicious releases and forks that announce themselves by name
      "sipcli/",           // sipcli, scripted REGISTER / call attempts ("sipcli/v1.8"); the slash
                           // keeps it from matching softphones named "...SIPClient"
      "vaxsipuseragent",   // the VaxSIP SDK's default, sent by the mass password guessers
      "sip-scan",          // sip-scan
      "sipscan",           // SIPScan
      "sivus",             // SiVuS, a SIP vulnerability scanner
      "iwar",              // iWar, a war dialer with a SIP mode
      "sundayddr",         // sundayddr and pplsip: User-Agents of long-running brute-force
      "pplsip",            // campaigns, on the public scanner block lists for years
      "siparmyknife",      // SIP Army Knife, a fuzzer
  };
  // Deliberately absent: sipsak and SIPp (administration and load-testing tools; osprey's own
  // tests use them), Ozeki (a commercial VoIP SDK), and short fragments such as "smap" or "gulp"
  // that could occur inside a legitimate product's name.
}

bool ScannerFilter::is_scanner(std::string_view user_agent) const {
  // Patterns are lowercase, so comparing against lower(c) is a case-insensitive substring search.
  const auto same = [](char text, char pattern) { return sip::ascii_lower(text) == pattern; };
  return std::any_of(lowercase_patterns_.begin(), lowercase_patterns_.end(), [&](const std::string& pattern) {
    return std::search(user_agent.begin(), user_agent.end(), pattern.begin(), pattern.end(), same) !=
           user_agent.end();
  });
}

bool ScannerFilter::is_scanner(const sip::Message& message) const {
  bool found = false;
  message.for_each_line(sip::HeaderId::user_agent, [&](std::string_view value) {
    found = is_scanner(value);
    return !found;
  });
  return found;
}

}  // namespace osprey::security
