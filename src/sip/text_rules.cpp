#include "sip/text_rules.hpp"

namespace osprey::sip {

namespace {

// A fold inside a value: CRLF followed by SP or HTAB (RFC 3261 §7.3.1). Returns its length (3) or 0.
std::size_t fold_length(std::string_view text, std::size_t at) {
  if (at + 2 < text.size() && text[at] == '\r' && text[at + 1] == '\n' && is_wsp(text[at + 2])) return 3;
  return 0;
}

}  // namespace

std::size_t utf8_nonascii_length(std::string_view text) {
  if (text.empty()) return 0;
  auto lead = static_cast<unsigned char>(text[0]);
  std::size_t continuation = 0;
  if (lead >= 0xC0 && lead <= 0xDF) {
    continuation = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuation = 2;
  } else if (lead >= 0xF0 && lead <= 0xF7) {
    continuation = 3;
  } else if (lead >= 0xF8 && lead <= 0xFB) {
    continuation = 4;
  } else if (lead >= 0xFC && lead <= 0xFD) {
    continuation = 5;
  } else {
    return 0;
  }
  if (text.size() < continuation + 1) return 0;
  for (std::size_t i = 1; i <= continuation; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80 || c > 0xBF) return 0;
  }
  return continuation + 1;
}

std::optional<std::string_view> take_comment(Scanner& scanner) {
  std::string_view text = scanner.text();
  std::size_t start = scanner.pos();
  if (scanner.peek() != '(') return std::nullopt;
  std::size_t depth = 0;
  std::size_t i = start;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '(') {
      ++depth;
      ++i;
    } else if (c == ')') {
      --depth;
      ++i;
      if (depth == 0) {
        scanner.set_pos(i);
        return text.substr(start, i - start);
      }
    } else if (c == '\\') {
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
      if (i + 1 >= text.size()) return std::nullopt;
      auto next = static_cast<unsigned char>(text[i + 1]);
      if (next == '\r' || next == '\n' || next > 0x7F) return std::nullopt;
      i += 2;
    } else if (c == ' ' || c == '\t' || (c >= 0x21 && c <= 0x7E)) {
      // ctext: %x21-27 / %x2A-5B / %x5D-7E / LWS ('(' ')' '\' are handled above)
      ++i;
    } else if (std::size_t fold = fold_length(text, i)) {
      i += fold;
    } else if (std::size_t utf8 = utf8_nonascii_length(text.substr(i))) {
      i += utf8;
    } else {
      return std::nullopt;  // a CTL, a bare CR/LF, DEL or a broken UTF-8 sequence
    }
  }
  return std::nullopt;  // unbalanced: the value ended inside the comment
}

bool is_text_utf8_trim(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c >= 0x21 && c <= 0x7E) || c == ' ' || c == '\t') {
      ++i;
    } else if (std::size_t fold = fold_length(text, i)) {
      i += fold;
    } else if (std::size_t utf8 = utf8_nonascii_length(text.substr(i))) {
      i += utf8;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace osprey::sip
