#pragma once
// Character classes of the RFC 3261 §25.1 grammar, as one constexpr table: a lookup per byte.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace osprey::sip {

enum CharClass : std::uint16_t {
  kAlnum = 1 << 0,
  kToken = 1 << 1,            // token: alphanum - . ! % * _ + ` ' ~
  kWord = 1 << 2,             // word: token chars plus ( ) < > : \ " / [ ] ? { }
  kUnreserved = 1 << 3,       // alphanum / mark (- _ . ! ~ * ' ( ))
  kUserUnreserved = 1 << 4,   // & = + $ , ; ? /
  kPasswordExtra = 1 << 5,    // & = + $ ,
  kParamUnreserved = 1 << 6,  // [ ] / : & + $
  kHnvUnreserved = 1 << 7,    // [ ] / ? : + $
  kHex = 1 << 8,
  kHostname = 1 << 9,   // alphanum - .
  kReserved = 1 << 10,  // ; / ? : @ & = + $ ,
  kDigit = 1 << 11,
  kWsp = 1 << 12,         // SP / HTAB
  kSchemeChar = 1 << 13,  // ALPHA / DIGIT / + - .
};

namespace detail {
constexpr std::array<std::uint16_t, 256> make_char_table() {
  std::array<std::uint16_t, 256> t{};
  auto add = [&t](std::string_view chars, std::uint16_t cls) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= cls;
  };
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    if (alpha || digit) {
      t[c] |= kAlnum | kToken | kWord | kUnreserved | kHostname | kSchemeChar;
    }
    if (digit) t[c] |= kDigit | kHex;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) t[c] |= kHex;
  }
  add("-.!%*_+`'~", kToken | kWord);
  add("()<>:\\\"/[]?{}", kWord);
  add("-_.!~*'()", kUnreserved);
  add("&=+$,;?/", kUserUnreserved);
  add("&=+$,", kPasswordExtra);
  add("[]/:&+$", kParamUnreserved);
  add("[]/?:+$", kHnvUnreserved);
  add("-.", kHostname);
  add(";/?:@&=+$,", kReserved);
  add(" \t", kWsp);
  add("+-.", kSchemeChar);
  return t;
}
inline constexpr std::array<std::uint16_t, 256> kCharTable = make_char_table();
}  // namespace detail

constexpr bool is_class(char c, std::uint16_t cls) {
  return (detail::kCharTable[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool is_token_char(char c) { return is_class(c, kToken); }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }
constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// A copy with ASCII letters lower-cased, nothing else touched: SIP's case-insensitive tokens,
// transport names and hosts (RFC 3261 §7.3.1, §19.1.4). The one copy of this in osprey.
inline std::string to_ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace osprey::sip
