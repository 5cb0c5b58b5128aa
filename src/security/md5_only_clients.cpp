#include "security/md5_only_clients.hpp"

#include <algorithm>

#include "sip/char_class.hpp"

namespace osprey::security {

Md5OnlyClients::Md5OnlyClients(std::vector<std::string> prefixes) : lowercase_prefixes_(std::move(prefixes)) {
  std::erase_if(lowercase_prefixes_, [](const std::string& prefix) { return prefix.empty(); });
  for (std::string& prefix : lowercase_prefixes_)
    std::transform(prefix.begin(), prefix.end(), prefix.begin(), sip::ascii_lower);
}

bool Md5OnlyClients::matches(std::string_view user_agent) const {
  return std::any_of(lowercase_prefixes_.begin(), lowercase_prefixes_.end(), [&](const std::string& prefix) {
    return user_agent.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), user_agent.begin(),
                      [](char wanted, char seen) { return wanted == sip::ascii_lower(seen); });
  });
}

bool Md5OnlyClients::matches(const sip::Message& request) const {
  if (lowercase_prefixes_.empty()) return false;
  bool found = false;
  request.for_each_line(sip::HeaderId::user_agent, [&](std::string_view value) {
    found = matches(value);
    return !found;
  });
  return found;
}

}  // namespace osprey::security
