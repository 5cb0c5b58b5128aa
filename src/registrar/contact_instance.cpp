#include "registrar/contact_instance.hpp"

#include <charconv>

#include "sip/char_class.hpp"

namespace osprey::registrar {

namespace {

using sip::ascii_lower;
using sip::iequals;

// RFC 8141 §2: NID = (alphanum) 0*30(ldh) (alphanum).
bool valid_nid(std::string_view nid) {
  if (nid.size() < 2 || nid.size() > 32) return false;
  if (!sip::is_class(nid.front(), sip::kAlnum) || !sip::is_class(nid.back(), sip::kAlnum)) return false;
  for (char c : nid) {
    if (!sip::is_class(c, sip::kAlnum) && c != '-') return false;
  }
  return true;
}

// RFC 8141 §2: NSS = pchar *(pchar / "/"); pchar (RFC 3986 §3.3) = unreserved / pct-encoded /
// sub-delims / ":" / "@". No "?" or "#": the r-, q- and f-components are no part of the name.
bool valid_nss(std::string_view nss) {
  if (nss.empty() || nss.front() == '/') return false;
  for (std::size_t i = 0; i < nss.size(); ++i) {
    const char c = nss[i];
    if (c == '%') {
      if (i + 2 >= nss.size() || !sip::is_class(nss[i + 1], sip::kHex) ||
          !sip::is_class(nss[i + 2], sip::kHex))
        return false;
      i += 2;
      continue;
    }
    const bool unreserved =
        sip::is_class(c, sip::kAlnum) || std::string_view("-._~").find(c) != std::string_view::npos;
    const bool sub_delim = std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
    if (!unreserved && !sub_delim && c != ':' && c != '@' && c != '/') return false;
  }
  return true;
}

// RFC 4122 §3: UUID = 8HEX "-" 4HEX "-" 4HEX "-" 4HEX "-" 12HEX.
bool valid_uuid(std::string_view uuid) {
  if (uuid.size() != 36) return false;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? uuid[i] != '-' : !sip::is_class(uuid[i], sip::kHex)) return false;
  }
  return true;
}

std::string_view strip(std::string_view text, char open, char close) {
  if (text.size() >= 2 && text.front() == open && text.back() == close)
    return text.substr(1, text.size() - 2);
  return text;
}

// RFC 5626 §4.2: reg-id = "reg-id" EQUAL 1*DIGIT ; 1 to (2^31 - 1).
std::optional<std::uint32_t> parse_reg_id(std::string_view written) {
  constexpr std::uint32_t kMaxRegId = 0x7fffffff;
  if (written.empty() || written.size() > 10) return std::nullopt;
  for (char c : written) {
    if (!sip::is_class(c, sip::kDigit)) return std::nullopt;
  }
  std::uint64_t value = 0;
  std::from_chars(written.data(), written.data() + written.size(), value);
  if (value == 0 || value > kMaxRegId) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

}  // namespace

std::optional<std::string> canonical_instance(std::string_view written) {
  // RFC 5626 §4.1 writes it as a quoted string holding "<" URN ">". An escape (RFC 3261 §25.1
  // quoted-pair) could only spell a character a URN has no use for.
  std::string_view value = strip(strip(written, '"', '"'), '<', '>');
  if (value.size() > kMaxInstanceLength) return std::nullopt;
  constexpr std::string_view kScheme = "urn:";
  if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  const std::string_view rest = value.substr(kScheme.size());
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view nid = rest.substr(0, colon);
  const std::string_view nss = rest.substr(colon + 1);
  if (!valid_nid(nid) || !valid_nss(nss)) return std::nullopt;

  const bool uuid = iequals(nid, "uuid");
  if (uuid && !valid_uuid(nss)) return std::nullopt;
  std::string canonical;
  canonical.reserve(value.size());
  canonical += kScheme;
  for (char c : nid) canonical += ascii_lower(c);
  canonical += ':';
  if (uuid) {
    for (char c : nss) canonical += ascii_lower(c);
  } else {
    canonical += nss;
  }
  return canonical;
}

std::optional<ContactInstance> contact_instance(const sip::Contact& contact) {
  const auto written = contact.param("+sip.instance");
  if (!written) return std::nullopt;
  auto instance = canonical_instance(*written);
  if (!instance) return std::nullopt;
  ContactInstance result{std::move(*instance), 0};
  if (const auto reg_id = contact.param("reg-id")) {
    const auto number = parse_reg_id(*reg_id);
    if (!number) return std::nullopt;
    result.reg_id = *number;
  }
  return result;
}

}  // namespace osprey::registrar
