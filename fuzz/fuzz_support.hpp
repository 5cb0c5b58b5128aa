#pragma once
// Shared by the libFuzzer harnesses: a deterministic source of choices derived from the input,
// and the property check that turns a broken invariant into a crash libFuzzer records.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "sip/char_class.hpp"
#include "sip/params.hpp"
#include "sip/uri.hpp"

namespace osprey::fuzz {

// A broken property is a bug like a crash: print what broke and stop with SIGILL, so libFuzzer
// saves the input as a crash artifact.
#define OSPREY_FUZZ_CHECK(condition)                                                        \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #condition); \
      __builtin_trap();                                                                     \
    }                                                                                       \
  } while (false)

// FNV-1a over the bytes: seeds the choices when the input carries no explicit control bytes.
inline std::uint64_t hash_bytes(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

// Yields control bytes: first the explicit ones (which the fuzzer can mutate directly), then a
// PCG-style sequence seeded from the whole input, so every input maps to one fixed set of choices.
class Choices {
 public:
  Choices(std::string_view explicit_bytes, std::uint64_t seed) : bytes_(explicit_bytes), state_(seed | 1) {}

  std::uint8_t byte() {
    if (pos_ < bytes_.size()) return static_cast<std::uint8_t>(bytes_[pos_++]);
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint8_t>(state_ >> 56);
  }
  // A value in [0, n); n must be positive.
  std::size_t below(std::size_t n) {
    std::size_t v = byte();
    v = (v << 8) | byte();
    return v % n;
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
  std::uint64_t state_;
};

// Prints bytes with C escapes, for the report that goes with a failed property.
inline void dump(const char* label, std::string_view bytes) {
  std::fprintf(stderr, "%s (%zu bytes): \"", label, bytes.size());
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      std::fputs("\\r", stderr);
    } else if (c == '\n') {
      std::fputs("\\n\n", stderr);
    } else if (u < 0x20 || u >= 0x7F || c == '"' || c == '\\') {
      std::fprintf(stderr, "\\x%02x", u);
    } else {
      std::fputc(c, stderr);
    }
  }
  std::fputs("\"\n", stderr);
}

// True if a parameter name appears twice. RFC 3261 §19.1.1 forbids it and parse_uri refuses it
// (such a URI would not even be equivalent to itself), so the harnesses assert this is false.
inline bool repeats_a_parameter(const osprey::sip::Uri& uri) {
  bool repeated = false;
  osprey::sip::for_each_param(uri.params, [&](const osprey::sip::Param& p) {
    int seen = 0;
    osprey::sip::for_each_param(uri.params, [&](const osprey::sip::Param& q) {
      if (osprey::sip::iequals(p.name, q.name)) ++seen;
      return true;
    });
    repeated = seen > 1;
    return !repeated;
  });
  return repeated;
}

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace osprey::fuzz
