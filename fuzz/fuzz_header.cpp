// Fuzzes validate_header: every typed header parser osprey has (RFC 3261 §20 and the extension
// RFCs). The first input byte picks the header; the rest is its value.

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "sip/header_id.hpp"
#include "sip/session_timer_headers.hpp"
#include "sip/validation.hpp"
#include "sip/value_list.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr auto kCount = static_cast<std::size_t>(osprey::sip::HeaderId::count_);
  auto id = static_cast<osprey::sip::HeaderId>(data[0] % kCount);
  std::string_view value = osprey::fuzz::as_view(data + 1, size - 1);
  auto result = osprey::sip::validate_header(id, value);
  if (!result) {
    OSPREY_FUZZ_CHECK(!result.error().reason.empty());
    OSPREY_FUZZ_CHECK(result.error().offset <= value.size());
  }
  // RFC 4028 §4: a Session-Expires osprey parsed and writes again (a B2BUA re-formats it per
  // leg) parses back to the same interval and refresher.
  if (id == osprey::sip::HeaderId::session_expires && result) {
    auto parsed = osprey::sip::parse_session_expires(value);
    OSPREY_FUZZ_CHECK(parsed.has_value());
    std::string written = osprey::sip::format_session_expires(*parsed);
    auto again = osprey::sip::parse_session_expires(written);
    OSPREY_FUZZ_CHECK(again.has_value());
    OSPREY_FUZZ_CHECK(again->seconds == parsed->seconds && again->refresher == parsed->refresher);
  }
  // List splitting: elements are views inside the value.
  if (osprey::sip::is_list_header(id)) {
    osprey::sip::for_each_list_element(value, [&](std::string_view element) {
      OSPREY_FUZZ_CHECK(element.empty() || (element.data() >= value.data() &&
                                            element.data() + element.size() <= value.data() + value.size()));
      return true;
    });
  }
  return 0;
}
