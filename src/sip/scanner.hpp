#pragma once
// A cursor over one header value with the RFC 3261 §25.1 whitespace rules:
// LWS = [*WSP CRLF] 1*WSP, so a folded line (CRLF followed by SP/HTAB) counts as whitespace.
// Every typed-header parser is written on top of it; it never reads past its view.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/char_class.hpp"

namespace osprey::sip {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ >= text_.size(); }
  std::size_t pos() const { return pos_; }
  void set_pos(std::size_t pos) { pos_ = pos; }
  std::string_view text() const { return text_; }
  std::string_view rest() const { return text_.substr(pos_); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void advance(std::size_t n = 1) { pos_ = pos_ + n > text_.size() ? text_.size() : pos_ + n; }

  // Skips LWS including folded line breaks; returns true if anything was skipped.
  bool skip_lws() {
    std::size_t start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t') {
        ++pos_;
      } else if (c == '\r' && pos_ + 2 < text_.size() && text_[pos_ + 1] == '\n' && is_wsp(text_[pos_ + 2])) {
        pos_ += 3;
      } else {
        break;
      }
    }
    return pos_ != start;
  }

  bool consume(char c) {
    if (peek() == c && !at_end()) {
      ++pos_;
      return true;
    }
    return false;
  }

  // SWS c SWS, as in the separators SEMI, COMMA, EQUAL, SLASH, COLON of §25.1.
  bool consume_separator(char c) {
    std::size_t save = pos_;
    skip_lws();
    if (consume(c)) {
      skip_lws();
      return true;
    }
    pos_ = save;
    return false;
  }

  // 1*(chars of class cls); empty view if none.
  std::string_view take_class(std::uint16_t cls) {
    std::size_t start = pos_;
    while (pos_ < text_.size() && is_class(text_[pos_], cls)) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  std::string_view take_token() { return take_class(kToken); }

  // Takes characters until one of `stops` or the end; returns them.
  std::string_view take_until_any(std::string_view stops) {
    std::size_t start = pos_;
    // The stop sets are a few bytes: comparing with each inline is far cheaper than a
    // library search (a memchr call) per byte of the value.
    auto is_stop = [stops](char c) {
      for (char stop : stops)
        if (c == stop) return true;
      return false;
    };
    while (pos_ < text_.size() && !is_stop(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE, returned with its quotes.
  // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F). Returns nullopt if unterminated.
  std::optional<std::string_view> take_quoted_string() {
    if (peek() != '"') return std::nullopt;
    std::size_t start = pos_;
    std::size_t i = pos_ + 1;
    while (i < text_.size()) {
      char c = text_[i];
      if (c == '"') {
        pos_ = i + 1;
        return text_.substr(start, pos_ - start);
      }
      if (c == '\\') {
        if (i + 1 >= text_.size()) return std::nullopt;
        unsigned char next = static_cast<unsigned char>(text_[i + 1]);
        if (next == '\r' || next == '\n' || next > 0x7F) return std::nullopt;
        i += 2;
        continue;
      }
      if (c == '\r') {
        // Only a fold (CRLF WSP) is allowed inside qdtext.
        if (i + 2 < text_.size() && text_[i + 1] == '\n' && is_wsp(text_[i + 2])) {
          i += 3;
          continue;
        }
        return std::nullopt;
      }
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return std::nullopt;
      if (c == 0x7F) return std::nullopt;
      ++i;
    }
    return std::nullopt;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// Removes the quotes and quoted-pair escapes of a quoted-string; unquoted text is returned as is.
std::string unquote(std::string_view quoted);

// Trims SP, HTAB and folded line breaks at both ends.
std::string_view trim_lws(std::string_view text);

// Parses 1*DIGIT into a value no larger than `max`; nullopt on any other input or overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view digits, std::uint64_t max);

}  // namespace osprey::sip
