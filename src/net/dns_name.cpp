#include "net/dns_name.hpp"

#include <cstddef>

namespace osprey::net {

namespace {

constexpr std::size_t kMaxName = 253;
constexpr std::size_t kMaxLabel = 63;

std::string_view without_final_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `name` is `label` or ends in "." + `label`, without case.
bool is_or_under(std::string_view name, std::string_view label) {
  name = without_final_dot(name);
  if (name.size() < label.size()) return false;
  const std::string_view tail = name.substr(name.size() - label.size());
  for (std::size_t i = 0; i < label.size(); ++i)
    if (lower(tail[i]) != label[i]) return false;
  return name.size() == label.size() || name[name.size() - label.size() - 1] == '.';
}

}  // namespace

bool is_plausible_dns_name(std::string_view name) {
  name = without_final_dot(name);
  if (name.empty() || name.size() > kMaxName) return false;
  std::size_t label = 0;
  for (const char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool allowed =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!allowed || ++label > kMaxLabel) return false;
  }
  return label != 0;
}

bool is_localhost_name(std::string_view name) { return is_or_under(name, "localhost"); }

bool is_invalid_name(std::string_view name) { return is_or_under(name, "invalid"); }

}  // namespace osprey::net
