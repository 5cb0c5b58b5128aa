#include "sip/header_id.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sip/char_class.hpp"

namespace osprey::sip {
namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

// The name table is reached by a hash of a name's length and its first and last two
// characters: every known name, in any case, must still come back as its own id.
TEST(HeaderId, EveryKnownNameIsFoundInAnyCase) {
  for (std::size_t i = 1; i < static_cast<std::size_t>(HeaderId::count_); ++i) {
    const auto id = static_cast<HeaderId>(i);
    const std::string_view name = canonical_name(id);
    EXPECT_EQ(lookup_header(name), id) << name;
    EXPECT_EQ(lookup_header(to_ascii_lower(name)), id) << name;
    EXPECT_EQ(lookup_header(upper(name)), id) << name;
    if (const char compact = compact_form(id); compact != '\0') {
      EXPECT_EQ(lookup_header(std::string(1, compact)), id) << name;
      EXPECT_EQ(lookup_header(upper(std::string(1, compact))), id) << name;
    }
  }
}

// Names sharing the hashed characters with a known one (same length, first and last two) are
// still other headers: the whole name is compared.
TEST(HeaderId, LookalikeNamesAreOtherHeaders) {
  for (std::string_view name : {"Caxx-ID", "Coxxxct", "Max-Forxxxds", "Content-Lxxxxth", "Accept-Lxxxxxge",
                                "Contact-", "Vi", "Viaa", "X-Via", "Route2", "Tx"}) {
    EXPECT_EQ(lookup_header(name), HeaderId::other) << name;
  }
}

}  // namespace
}  // namespace osprey::sip
