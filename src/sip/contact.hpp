#pragma once
// Contact (RFC 3261 §20.10, grammar §25.1):
//   Contact        = ("Contact" / "m") HCOLON ( STAR / (contact-param *(COMMA contact-param)))
//   contact-param  = (name-addr / addr-spec) *(SEMI contact-params)
//   contact-params = c-p-q / c-p-expires / contact-extension
//   c-p-q          = "q" EQUAL qvalue
//   c-p-expires    = "expires" EQUAL delta-seconds
// Every element is a view into the header value; q and expires are found and checked eagerly
// because the registrar (§10.3) and the proxy's target ordering (§16.6) need them.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/message.hpp"
#include "sip/name_addr.hpp"
#include "sip/numeric_headers.hpp"

namespace osprey::sip {

struct Contact {
  NameAddr address;  // display name, URI, and all contact-params as written (address.params)
  // qvalue in thousandths (0.33 -> 330, 1 -> 1000), nullopt if there is no q parameter.
  std::optional<std::uint16_t> q;
  // The expires parameter (seconds), nullopt if absent: the Expires header then applies (§10.2.1.1).
  std::optional<std::uint32_t> expires;

  std::string_view params() const { return address.params; }
  // The value of contact-param `name` as written ("" for a parameter without value), if present.
  std::optional<std::string_view> param(std::string_view name) const { return address.param(name); }
};

struct ContactList {
  // "Contact: *" — only meaningful in a REGISTER with Expires: 0, removing every binding (§10.2.2).
  bool star = false;
  std::vector<Contact> contacts;
};

struct ContactOptions {
  // What an expires parameter above 2**32-1 becomes (see Overlarge in numeric_headers.hpp).
  Overlarge overlarge_expires = Overlarge::reject;
};

// Parses one Contact line's value. `offset` is the value's offset in the message, for errors.
Result<ContactList> parse_contact(std::string_view value, std::size_t offset = 0,
                                  ContactOptions options = {});

// All Contact lines of `message` (full and compact "m" names) as one list, in order. No Contact
// is an empty list. A STAR together with any other contact value, or twice, is an error (400):
// §10.3 step 6 gives STAR meaning only as the single Contact value.
Result<ContactList> contacts(const Message& message, ContactOptions options = {});

}  // namespace osprey::sip
