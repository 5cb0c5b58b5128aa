#include "sip/line_scan.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace osprey::sip {
namespace {

// The search reads 16 bytes (SSE2) or 8 (SWAR) at a time and the rest one by one: put the CR or
// LF at every position of buffers of every length around those sizes, in a heap block of
// exactly that length, so a read past the end is an ASan error in the debug build.
TEST(LineScan, FindsTheFirstCrOrLfAtEveryPositionAndLength) {
  for (std::size_t length = 0; length <= 70; ++length) {
    for (char line_break : {'\r', '\n'}) {
      for (std::size_t at = 0; at <= length; ++at) {
        auto buffer = std::make_unique<char[]>(length);
        for (std::size_t i = 0; i < length; ++i) buffer[i] = static_cast<char>('a' + i % 26);
        if (at < length) buffer[at] = line_break;
        // A second break after the first must not be the one found.
        if (at + 1 < length) buffer[at + 1] = line_break == '\r' ? '\n' : '\r';
        const char* found = find_cr_or_lf(buffer.get(), buffer.get() + length);
        EXPECT_EQ(found, buffer.get() + at) << "length " << length << ", break at " << at;
      }
    }
  }
}

// Bytes that differ from CR or LF in one bit, and bytes with the high bit set, are no match
// (a carry in the word-at-a-time test could otherwise report them).
TEST(LineScan, NearMissesAreNotLineBreaks) {
  std::string text;
  for (int c = 1; c < 256; ++c)
    if (c != '\r' && c != '\n') text += static_cast<char>(c);
  text += "\r\n";
  for (std::size_t start = 0; start < 40; ++start) {
    const char* found = find_cr_or_lf(text.data() + start, text.data() + text.size());
    EXPECT_EQ(found, text.data() + text.size() - 2) << "from " << start;
  }
}

}  // namespace
}  // namespace osprey::sip
