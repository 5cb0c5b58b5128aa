#pragma once
// Truncation tests: each prefix of a header value lives in a heap block of exactly its size, so
// AddressSanitizer reports a parser reading one byte past it. A view into a longer literal, or a
// std::string (inline buffer, spare capacity, terminating NUL), would hide that over-read.

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string_view>

#include "sip/error.hpp"

namespace osprey::sip::testing {

class ExactPrefix {
 public:
  ExactPrefix(std::string_view text, std::size_t length)
      : bytes_(std::make_unique<char[]>(length)), length_(length) {
    std::memcpy(bytes_.get(), text.data(), length);
  }
  std::string_view view() const { return {bytes_.get(), length_}; }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t length_;
};

// True if `text` stops inside a quoted-string or inside "<" ... ">" (RFC 3261 §25.1): no header
// value written that way is complete, so its parser must refuse it.
inline bool ends_open(std::string_view text) {
  bool quoted = false;
  bool angle = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\') {
        ++i;  // quoted-pair: the next byte is taken as it is
        if (i >= text.size()) return true;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      angle = true;
    } else if (c == '>') {
      angle = false;
    }
  }
  return quoted || angle;
}

// A parse of a prefix either succeeds or names a place inside that prefix.
template <typename T>
::testing::AssertionResult handled_within(const Result<T>& result, std::size_t length) {
  if (result || result.error().offset <= length) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "error offset " << result.error().offset << " past the input ("
                                       << length << " bytes): " << result.error().reason;
}

// Feeds every prefix of `value`, each in its own exact-size block, to every one of `parse`:
// each either succeeds or names a place inside the prefix. The one at index `written_for` is
// the parser `value` was written for: it accepts the whole value and refuses every prefix that
// stops inside "<...>" or a quoted-string.
template <typename... Parse>
void expect_every_prefix_handled(std::string_view value, std::size_t written_for, Parse... parse) {
  for (std::size_t n = 0; n <= value.size(); ++n) {
    const ExactPrefix prefix(value, n);
    std::size_t index = 0;
    const auto check = [&](const auto& result) {
      EXPECT_TRUE(handled_within(result, n)) << prefix.view();
      if (index++ != written_for) return;
      if (n == value.size()) {
        EXPECT_TRUE(result.has_value()) << value;
      }
      if (ends_open(prefix.view())) {
        EXPECT_FALSE(result.has_value()) << prefix.view();
      }
    };
    (check(parse(prefix.view())), ...);
  }
}

}  // namespace osprey::sip::testing
