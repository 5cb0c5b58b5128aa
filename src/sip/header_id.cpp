#include "sip/header_id.hpp"

#include <array>
#include <cstring>

#include "sip/char_class.hpp"

namespace osprey::sip {
namespace {

struct HeaderInfo {
  std::string_view name;
  char compact;
  bool list;
  bool single;
};

constexpr std::size_t kCount = static_cast<std::size_t>(HeaderId::count_);

// Indexed by HeaderId; order must match the enum.
constexpr std::array<HeaderInfo, kCount> kHeaders{{
    {"", '\0', false, false},
    {"Accept", '\0', true, false},
    {"Accept-Contact", 'a', true, false},
    {"Accept-Encoding", '\0', true, false},
    {"Accept-Language", '\0', true, false},
    {"Alert-Info", '\0', true, false},
    {"Allow", '\0', true, false},
    {"Allow-Events", 'u', true, false},
    {"Authentication-Info", '\0', false, true},
    {"Authorization", '\0', false, false},
    {"Call-ID", 'i', false, true},
    {"Call-Info", '\0', true, false},
    {"Contact", 'm', true, false},
    {"Content-Disposition", '\0', false, true},
    {"Content-Encoding", 'e', true, false},
    {"Content-Language", '\0', true, false},
    {"Content-Length", 'l', false, true},
    {"Content-Type", 'c', false, true},
    {"CSeq", '\0', false, true},
    {"Date", '\0', false, true},
    {"Diversion", '\0', true, false},
    {"Error-Info", '\0', true, false},
    {"Event", 'o', false, true},
    {"Expires", '\0', false, true},
    {"From", 'f', false, true},
    {"History-Info", '\0', true, false},
    {"Identity", 'y', false, false},
    {"Identity-Info", 'n', false, true},
    {"In-Reply-To", '\0', true, false},
    {"Max-Forwards", '\0', false, true},
    {"MIME-Version", '\0', false, true},
    {"Min-Expires", '\0', false, true},
    {"Min-SE", '\0', false, true},
    {"Organization", '\0', false, true},
    {"P-Asserted-Identity", '\0', true, false},
    {"P-Preferred-Identity", '\0', true, false},
    {"Path", '\0', true, false},
    {"Priority", '\0', false, true},
    {"Privacy", '\0', false, false},
    {"Proxy-Authenticate", '\0', false, false},
    {"Proxy-Authorization", '\0', false, false},
    {"Proxy-Require", '\0', true, false},
    {"RAck", '\0', false, true},
    {"Reason", '\0', true, false},
    {"Record-Route", '\0', true, false},
    {"Refer-To", 'r', false, true},
    {"Referred-By", 'b', false, true},
    {"Reject-Contact", 'j', true, false},
    {"Replaces", '\0', false, true},
    {"Reply-To", '\0', false, true},
    {"Request-Disposition", 'd', true, false},
    {"Require", '\0', true, false},
    {"Retry-After", '\0', false, true},
    {"Route", '\0', true, false},
    {"RSeq", '\0', false, true},
    {"Server", '\0', false, true},
    {"Session-Expires", 'x', false, true},
    {"Subject", 's', false, true},
    {"Subscription-State", '\0', false, true},
    {"Supported", 'k', true, false},
    {"Timestamp", '\0', false, true},
    {"To", 't', false, true},
    {"Unsupported", '\0', true, false},
    {"User-Agent", '\0', false, true},
    {"Via", 'v', true, false},
    {"Warning", '\0', true, false},
    {"WWW-Authenticate", '\0', false, false},
}};

constexpr const HeaderInfo& info(HeaderId id) { return kHeaders[static_cast<std::size_t>(id)]; }

// Compact forms by letter (RFC 3261 §7.3.3, RFC 3841 a/j/d, RFC 3515 r, RFC 3892 b,
// RFC 3265 o/u, RFC 4028 x, RFC 8224 y, RFC 4474 n).
constexpr std::array<HeaderId, 26> make_compact_table() {
  std::array<HeaderId, 26> table{};
  for (std::size_t i = 1; i < kCount; ++i) {
    char c = kHeaders[i].compact;
    if (c != '\0') table[static_cast<std::size_t>(c - 'a')] = static_cast<HeaderId>(i);
  }
  return table;
}
constexpr std::array<HeaderId, 26> kCompact = make_compact_table();

constexpr std::size_t kSlots = 512;

struct NameSlot {
  std::uint32_t hash = 0;
  std::uint8_t index = 0;  // 0: empty
};

constexpr std::array<NameSlot, kSlots> make_name_table() {
  std::array<NameSlot, kSlots> table{};
  for (std::size_t i = 1; i < kCount; ++i) {
    std::uint32_t h = header_name_hash(kHeaders[i].name);
    std::size_t slot = h % kSlots;
    while (table[slot].index != 0) slot = (slot + 1) % kSlots;
    table[slot] = NameSlot{h, static_cast<std::uint8_t>(i)};
  }
  return table;
}
constexpr std::array<NameSlot, kSlots> kNameTable = make_name_table();

// Header names are token characters, for which OR-ing 0x20 folds case exactly: no two token
// characters differ only in that bit except upper and lower case letters.
bool folded_equal(std::string_view name, std::string_view canonical) {
  const std::size_t n = name.size();
  if (n != canonical.size()) return false;
  auto words_equal = [&](std::size_t at, auto word) {
    decltype(word) a;
    decltype(word) b;
    std::memcpy(&a, name.data() + at, sizeof a);
    std::memcpy(&b, canonical.data() + at, sizeof b);
    constexpr auto kFold = static_cast<decltype(word)>(0x2020202020202020ULL);
    return (a | kFold) == (b | kFold);
  };
  if (n >= 8) {
    // Whole words, then the last eight bytes (overlapping what was compared already).
    for (std::size_t i = 0; i + 8 <= n; i += 8)
      if (!words_equal(i, std::uint64_t{})) return false;
    return words_equal(n - 8, std::uint64_t{});
  }
  if (n >= 4) return words_equal(0, std::uint32_t{}) && words_equal(n - 4, std::uint32_t{});
  for (std::size_t i = 0; i < n; ++i) {
    if ((static_cast<unsigned char>(name[i]) | 0x20) != (static_cast<unsigned char>(canonical[i]) | 0x20)) {
      return false;
    }
  }
  return true;
}

}  // namespace

HeaderId lookup_header(std::string_view name) { return lookup_header(name, header_name_hash(name)); }

HeaderId lookup_header(std::string_view name, std::uint32_t hash) {
  if (name.size() == 1) {
    char c = ascii_lower(name[0]);
    if (c >= 'a' && c <= 'z') return kCompact[static_cast<std::size_t>(c - 'a')];
    return HeaderId::other;
  }
  // Open addressing: a slot is taken only on an equal full hash, then the name is compared.
  for (std::size_t slot = hash % kSlots;; slot = (slot + 1) % kSlots) {
    const NameSlot& entry = kNameTable[slot];
    if (entry.index == 0) return HeaderId::other;
    if (entry.hash == hash && folded_equal(name, kHeaders[entry.index].name)) {
      return static_cast<HeaderId>(entry.index);
    }
  }
}

std::string_view canonical_name(HeaderId id) { return info(id).name; }
char compact_form(HeaderId id) { return info(id).compact; }
bool is_list_header(HeaderId id) { return info(id).list; }
bool is_single_valued(HeaderId id) { return info(id).single; }

}  // namespace osprey::sip
