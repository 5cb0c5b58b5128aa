// Fuzzes validate_header: every typed header parser osprey has (RFC 3261 §20 and the extension
// RFCs). The first input byte picks the header; the rest is its value.

#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "sip/header_id.hpp"
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
