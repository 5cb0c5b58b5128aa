#include "sip/contact.hpp"

#include "sip/header_lines.hpp"
#include "sip/params.hpp"
#include "sip/scanner.hpp"
#include "sip/value_list.hpp"

namespace osprey::sip {

namespace {

// Position of `part`, a view into `whole`, within `whole`.
std::size_t position_in(std::string_view whole, std::string_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

constexpr std::string_view kHeader = "Contact";

// Finds and checks c-p-q and c-p-expires among the parameters of `contact`. A q or expires
// parameter whose value does not follow its rule would otherwise parse as a contact-extension
// (generic-param); RFC 4475 §3.1.2.4 counts such "aberrant" Contact q and expires values as
// errors, so they are rejected rather than silently ignored.
Result<void> read_contact_params(Contact& contact, std::string_view value, std::size_t offset,
                                 const ContactOptions& options) {
  std::optional<ParseError> error;
  for_each_param(contact.address.params, [&](const Param& p) {
    std::size_t at = offset + position_in(value, p.name);
    if (iequals(p.name, "q")) {
      auto q = parse_qvalue(p.value);
      if (!q) {
        error = malformed(kHeader, "q must be a qvalue between 0 and 1 with at most 3 decimals", at).value();
        return false;
      }
      if (!contact.q) contact.q = *q;  // the first occurrence counts
    } else if (iequals(p.name, "expires")) {
      auto expires = parse_delta_seconds(p.value, kHeader, at, options.overlarge_expires);
      if (!expires) {
        error = std::move(expires.error());
        return false;
      }
      if (!contact.expires) contact.expires = *expires;
    }
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return {};
}

}  // namespace

Result<ContactList> parse_contact(std::string_view value, std::size_t offset, ContactOptions options) {
  ContactList result;
  std::string_view trimmed = trim_lws(value);
  if (trimmed.empty()) return malformed(kHeader, "empty value", offset);
  // STAR = SWS "*" SWS, alone on the line.
  if (trimmed == "*") {
    result.star = true;
    return result;
  }
  std::optional<ParseError> error;
  for_each_list_element(value, [&](std::string_view element) {
    std::size_t at = offset + position_in(value, element);
    if (element.empty()) {
      error = malformed(kHeader, "empty element in list", at).value();
      return false;
    }
    if (element == "*") {
      error = malformed(kHeader, "'*' mixed with other contacts", at).value();
      return false;
    }
    auto address = parse_name_addr(element, kHeader, at);
    if (!address) {
      error = std::move(address.error());
      return false;
    }
    Contact contact;
    contact.address = *address;
    if (auto params = read_contact_params(contact, value, offset, options); !params) {
      error = std::move(params.error());
      return false;
    }
    result.contacts.push_back(contact);
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return result;
}

Result<ContactList> contacts(const Message& message, ContactOptions options) {
  ContactList result;
  std::optional<ParseError> error;
  for_each_header_line(message, HeaderId::contact, [&](const HeaderLine& line) {
    auto list = parse_contact(line.value, line.offset, options);
    if (!list) {
      error = std::move(list.error());
      return false;
    }
    bool had_any = result.star || !result.contacts.empty();
    if (list->star) {
      if (had_any) {
        error = malformed(kHeader, "'*' mixed with other contacts", line.offset).value();
        return false;
      }
      result.star = true;
      return true;
    }
    if (result.star) {
      error = malformed(kHeader, "'*' mixed with other contacts", line.offset).value();
      return false;
    }
    result.contacts.insert(result.contacts.end(), list->contacts.begin(), list->contacts.end());
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return result;
}

}  // namespace osprey::sip
