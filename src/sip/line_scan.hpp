#pragma once
// Finding the line breaks of a header section many bytes at a time. Each header line ends at its
// first CR or LF (RFC 3261 §7.3.1: a CR or LF is only ever part of a CRLF), so one search for
// either byte replaces two byte searches per line. SSE2 is part of every x86-64 CPU, so that
// path needs no run-time dispatch; elsewhere eight bytes are tested at once in a 64-bit word
// (SWAR), and the last few bytes one at a time. No load ever reads outside [begin, end).

#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace osprey::sip {

namespace detail {

// A word with the high bit set in each byte of `word` equal to `byte`, where the lowest such
// byte is exact (bytes above a match may be false positives from the borrow, which does not
// matter to a search for the first one).
constexpr std::uint64_t bytes_equal_mask(std::uint64_t word, unsigned char byte) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const std::uint64_t x = word ^ (kOnes * byte);
  return (x - kOnes) & ~x & kHighs;
}

}  // namespace detail

// The first CR or LF in [begin, end), or end when there is none.
inline const char* find_cr_or_lf(const char* begin, const char* end) {
  const char* p = begin;
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, cr), _mm_cmpeq_epi8(chunk, lf)));
    if (mask != 0) return p + std::countr_zero(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  if constexpr (std::endian::native == std::endian::little) {
    while (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      const std::uint64_t mask = detail::bytes_equal_mask(word, '\r') | detail::bytes_equal_mask(word, '\n');
      if (mask != 0) return p + std::countr_zero(mask) / 8;
      p += 8;
    }
  }
  for (; p < end; ++p) {
    if (*p == '\r' || *p == '\n') return p;
  }
  return end;
}

}  // namespace osprey::sip
