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

namespace {

// IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255.
bool is_ipv4_literal(std::string_view host) {
  const std::size_t n = host.size();
  int octets = 0;
  std::size_t i = 0;
  while (true) {
    unsigned value = 0;
    std::size_t digits = 0;
    for (; i < n && is_digit(host[i]); ++i) {
      value = value * 10 + static_cast<unsigned>(host[i] - '0');
      if (++digits > 3) return false;
    }
    if (digits == 0 || value > 255) return false;
    ++octets;
    if (i == n) return octets == 4;
    if (host[i] != '.' || octets == 4) return false;
    ++i;
  }
}

// hostname = *( domainlabel "." ) toplabel [ "." ]; a label is alphanum, or alphanum *( alphanum
// / "-" ) alphanum, at most 63 long (RFC 1035 §2.3.4); toplabel starts with ALPHA. `host` holds
// only alphanum, '-' and '.'.
bool is_hostname_literal(std::string_view host) {
  if (host.size() > 255) return false;
  if (host.back() == '.') host.remove_suffix(1);
  if (host.empty()) return false;
  std::size_t label_begin = 0;
  while (true) {
    std::size_t dot = host.find('.', label_begin);
    std::size_t label_end = dot == std::string_view::npos ? host.size() : dot;
    std::size_t length = label_end - label_begin;
    if (length == 0 || length > 63 || host[label_begin] == '-' || host[label_end - 1] == '-') return false;
    if (dot == std::string_view::npos) return is_alpha(host[label_begin]);
    label_begin = dot + 1;
  }
}

}  // namespace

HostScan scan_host(std::string_view text) {
  HostScan result;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return result;
    result.length = close + 1;
    if (is_ipv6_reference(text.substr(0, close + 1))) result.kind = HostKind::ipv6;
    return result;
  }
  // The host ends at the first byte no IPv4 address or hostname holds; then the two forms are
  // told apart (a tight loop for the extent, then one check of the form it can be).
  std::size_t n = 0;
  while (n < text.size() && is_class(text[n], kHostname)) ++n;
  result.length = n;
  if (n == 0) return result;
  const std::string_view host = text.substr(0, n);
  if (is_digit(host.front()) && is_ipv4_literal(host)) {
    result.kind = HostKind::ipv4;
  } else if (is_hostname_literal(host)) {
    result.kind = HostKind::hostname;
  }
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

std::string_view without_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

std::optional<std::uint16_t> parse_port(std::string_view digits) {
  auto value = parse_decimal(digits, 65535);
  if (!value) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

}  // namespace osprey::sip
