// Fuzzes parse_name_addr (RFC 3261 §20.10, §25.1: name-addr / addr-spec with header params)
// and, through validate_header, every typed parser of a header built on it. Properties checked:
//  - a parsed element's URI is equivalent to itself; accessors stay inside the text;
//  - rebuilding the element in canonical form (display name, "<" URI ">", params as written)
//    parses again to the same display name, URI text and params.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "sip/name_addr.hpp"
#include "sip/validation.hpp"

namespace {

using osprey::sip::HeaderId;

// Headers whose grammar is made of name-addrs; validate_header routes each to its typed parser.
constexpr std::array<HeaderId, 14> kNameAddrHeaders{HeaderId::from,
                                                    HeaderId::to,
                                                    HeaderId::contact,
                                                    HeaderId::route,
                                                    HeaderId::record_route,
                                                    HeaderId::path,
                                                    HeaderId::reply_to,
                                                    HeaderId::refer_to,
                                                    HeaderId::referred_by,
                                                    HeaderId::diversion,
                                                    HeaderId::history_info,
                                                    HeaderId::p_asserted_identity,
                                                    HeaderId::p_preferred_identity,
                                                    HeaderId::call_info};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = osprey::fuzz::as_view(data, size);
  for (HeaderId id : kNameAddrHeaders) (void)osprey::sip::validate_header(id, input);

  auto na = osprey::sip::parse_name_addr(input, "From", 0);
  if (!na) return 0;
  OSPREY_FUZZ_CHECK(na->text == input);
  OSPREY_FUZZ_CHECK(!osprey::fuzz::repeats_a_parameter(na->uri));
  OSPREY_FUZZ_CHECK(osprey::sip::uri_equivalent(na->uri, na->uri));
  (void)na->display_text();
  (void)na->tag();
  (void)na->param("expires");
  OSPREY_FUZZ_CHECK(na->uri.headers.empty() || na->bracketed);

  std::string rebuilt(na->display_name);
  if (!rebuilt.empty()) rebuilt.push_back(' ');
  rebuilt.push_back('<');
  rebuilt.append(na->uri.text);
  rebuilt.push_back('>');
  rebuilt.append(na->params);
  auto again = osprey::sip::parse_name_addr(rebuilt, "From", 0);
  if (!again) {
    std::fprintf(stderr, "rebuilt element rejected: [%s] (%s)\n", rebuilt.c_str(),
                 again.error().reason.c_str());
  }
  OSPREY_FUZZ_CHECK(again.has_value());
  OSPREY_FUZZ_CHECK(again->display_name == na->display_name);
  OSPREY_FUZZ_CHECK(again->uri.text == na->uri.text);
  OSPREY_FUZZ_CHECK(again->params == na->params);
  OSPREY_FUZZ_CHECK(again->tag() == na->tag());
  OSPREY_FUZZ_CHECK(again->display_text() == na->display_text());
  OSPREY_FUZZ_CHECK(osprey::sip::uri_equivalent(again->uri, na->uri));
  return 0;
}
