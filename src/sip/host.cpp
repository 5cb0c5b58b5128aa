#include "sip/host.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <string>

#include "sip/char_class.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {
namespace {

bool is_ipv4(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    std::size_t len = i - start;
    if (len == 0 || len > 3) return false;
    if (!parse_decimal(s.substr(start, len), 255)) return false;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.') return false;
    ++i;
  }
  return parts == 4;
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; toplabel starts with ALPHA.
bool is_hostname(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  if (s.back() == '.') s.remove_suffix(1);
  if (s.empty()) return false;
  std::size_t label_start = 0;
  while (true) {
    std::size_t dot = s.find('.', label_start);
    std::string_view label =
        s.substr(label_start, dot == std::string_view::npos ? s.npos : dot - label_start);
    if (label.empty() || label.size() > 63) return false;
    if (!is_class(label.front(), kAlnum) || !is_class(label.back(), kAlnum)) return false;
    for (char c : label)
      if (!is_class(c, kAlnum) && c != '-') return false;
    if (dot == std::string_view::npos) return is_alpha(label.front());
    label_start = dot + 1;
  }
}

bool is_ipv6_reference(std::string_view s) {
  if (s.size() < 4 || s.front() != '[' || s.back() != ']') return false;
  std::string_view inner = s.substr(1, s.size() - 2);
  int colons = 0;
  int group_len = 0;
  std::size_t last_colon = std::string_view::npos;
  for (std::size_t i = 0; i < inner.size(); ++i) {
    char c = inner[i];
    if (c == ':') {
      ++colons;
      group_len = 0;
      last_colon = i;
    } else if (is_class(c, kHex)) {
      if (++group_len > 4) {
        // Could be the start of an embedded IPv4 address; checked below.
        if (last_colon == std::string_view::npos) return false;
      }
    } else if (c == '.') {
      // IPv4 suffix: must be the tail after the last colon.
      if (last_colon == std::string_view::npos) return false;
      return colons >= 2 && colons <= 8 && is_ipv4(inner.substr(last_colon + 1));
    } else {
      return false;
    }
  }
  return colons >= 2 && colons <= 7 && group_len <= 4;
}

}  // namespace

std::optional<HostKind> classify_host(std::string_view host) {
  if (host.empty()) return std::nullopt;
  if (host.front() == '[') {
    if (is_ipv6_reference(host)) return HostKind::ipv6;
    return std::nullopt;
  }
  if (is_digit(host.front()) && is_ipv4(host)) return HostKind::ipv4;
  if (is_hostname(host)) return HostKind::hostname;
  return std::nullopt;
}

std::size_t host_length(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    return close == std::string_view::npos ? 0 : close + 1;
  }
  std::size_t i = 0;
  while (i < text.size() && is_class(text[i], kHostname)) ++i;
  return i;
}

HostScan scan_host(std::string_view text) {
  HostScan result;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return result;
    result.length = close + 1;
    if (is_ipv6_reference(text.substr(0, close + 1))) result.kind = HostKind::ipv6;
    return result;
  }
  // One walk: IPv4 octets and hostname labels are checked as the characters go by.
  bool ipv4 = true;
  int octets = 1;
  unsigned octet = 0;
  std::size_t octet_digits = 0;
  bool hostname = true;
  std::size_t label_length = 0;
  char label_first = '\0';
  char previous = '\0';
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (octet_digits == 0) ipv4 = false;
      ++octets;
      octet = 0;
      octet_digits = 0;
      if (label_length == 0 || previous == '-') hostname = false;
      label_length = 0;
    } else if (is_class(c, kAlnum) || c == '-') {
      if (is_digit(c)) {
        octet = octet * 10 + static_cast<unsigned>(c - '0');
        if (++octet_digits > 3 || octet > 255) ipv4 = false;
      } else {
        ipv4 = false;
      }
      if (label_length == 0) {
        label_first = c;
        if (c == '-') hostname = false;
      }
      if (++label_length > 63) hostname = false;
    } else {
      break;
    }
    previous = c;
  }
  result.length = i;
  if (i == 0) return result;
  if (ipv4 && octets == 4 && octet_digits > 0) {
    result.kind = HostKind::ipv4;
    return result;
  }
  // hostname = *( domainlabel "." ) toplabel [ "." ]: a trailing dot ends an empty last label,
  // so the top label is the one before it.
  if (label_length == 0) {
    // Trailing dot: the top label was checked when the dot was read; find its first character.
    if (i < 2) return result;
    std::size_t top_end = i - 1;
    std::size_t top_begin = text.rfind('.', top_end - 1);
    top_begin = top_begin == std::string_view::npos ? 0 : top_begin + 1;
    label_first = text[top_begin];
  } else if (previous == '-') {
    hostname = false;
  }
  if (hostname && is_alpha(label_first) && i <= 255) result.kind = HostKind::hostname;
  return result;
}

namespace {
std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

std::string ipv4_text(const unsigned char* octets) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) out += '.';
    out += std::to_string(octets[i]);
  }
  return out;
}
}  // namespace

std::string canonical_host(std::string_view host) {
  const auto kind = classify_host(host);
  if (!kind) return lowercase(host);
  switch (*kind) {
    case HostKind::hostname:
      if (host.back() == '.') host.remove_suffix(1);
      return lowercase(host);
    case HostKind::ipv4: {
      std::array<unsigned char, 4> octets{};
      std::size_t part = 0;
      unsigned value = 0;
      for (char c : host) {
        if (c == '.') {
          octets[part++] = static_cast<unsigned char>(value);
          value = 0;
        } else {
          value = value * 10 + static_cast<unsigned>(c - '0');
        }
      }
      octets[part] = static_cast<unsigned char>(value);
      return ipv4_text(octets.data());
    }
    case HostKind::ipv6: {
      // inet_pton reads every form RFC 4291 §2.2 allows; classify_host accepted the reference.
      const std::string inner(host.substr(1, host.size() - 2));
      std::array<unsigned char, 16> bytes{};
      if (inet_pton(AF_INET6, inner.c_str(), bytes.data()) != 1) return lowercase(host);
      static constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin()))
        return ipv4_text(bytes.data() + 12);
      std::array<char, INET6_ADDRSTRLEN> text{};
      if (inet_ntop(AF_INET6, bytes.data(), text.data(), text.size()) == nullptr) return lowercase(host);
      return "[" + std::string(text.data()) + "]";
    }
    case HostKind::none: break;
  }
  return lowercase(host);
}

std::optional<std::uint16_t> parse_port(std::string_view digits) {
  auto value = parse_decimal(digits, 65535);
  if (!value) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

bool is_one_of(std::string_view host, const std::vector<std::string>& hosts) {
  // The plain comparison answers the usual spelling without building the canonical form.
  for (const std::string& listed : hosts) {
    if (iequals(host, listed)) return true;
  }
  if (hosts.empty()) return false;
  const std::string canonical = canonical_host(host);
  for (const std::string& listed : hosts) {
    if (canonical == canonical_host(listed)) return true;
  }
  return false;
}

}  // namespace osprey::sip
