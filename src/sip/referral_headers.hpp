#pragma once
// The headers of call transfer: Refer-To (RFC 3515), Referred-By (RFC 3892) and Replaces
// (RFC 3891). Each appears at most once, so there is no list gatherer; results are views into
// the header value.
//
// A Refer-To that asks for an attended transfer carries the Replaces header inside its URI
// ("<sip:dave@d.org?Replaces=12345%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>", RFC 3891):
//   auto replaces = uri_header(refer_to->uri, "Replaces");   // unescaped copy
//   if (replaces) auto parsed = parse_replaces(*replaces);    // views into *replaces

#include <optional>
#include <string_view>

#include "sip/error.hpp"
#include "sip/name_addr.hpp"
#include "sip/uri_header_fields.hpp"

namespace osprey::sip {

// Refer-To = ("Refer-To" / "r") HCOLON ( name-addr / addr-spec ) *(SEMI refer-param),
// refer-param = generic-param (RFC 3515 §2.1).
Result<NameAddr> parse_refer_to(std::string_view value);

struct ReferredBy {
  NameAddr address;
  // referredby-id-param (RFC 3892 §3): the Content-ID of the signed Referred-By token, without quotes.
  std::optional<std::string_view> cid;
};

// Referred-By = ("Referred-By" / "b") HCOLON referrer-uri *( SEMI (referredby-id-param /
// generic-param) ), cid = LDQUOT dot-atom "@" (dot-atom / host) RDQUOT (RFC 3892 §3).
Result<ReferredBy> parse_referred_by(std::string_view value);

struct Replaces {
  std::string_view call_id;
  std::string_view to_tag;
  std::string_view from_tag;
  bool early_only = false;  // RFC 3891: only replace an early dialog
  std::string_view params;  // every parameter as written, from the first ';'
};

// Replaces = "Replaces" HCOLON callid *(SEMI replaces-param), replaces-param = to-tag / from-tag /
// early-flag / generic-param (RFC 3891 §6.1), which requires exactly one to-tag and exactly one from-tag.
Result<Replaces> parse_replaces(std::string_view value);

}  // namespace osprey::sip
