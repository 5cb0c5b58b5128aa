#include "registrar/granted_expires.hpp"

#include "sip/contact.hpp"
#include "sip/numeric_headers.hpp"

namespace osprey::registrar {

std::uint32_t granted_expires(const sip::Message& ok, std::string_view contact, std::uint32_t requested) {
  if (auto list = sip::contacts(ok)) {
    for (const sip::Contact& listed : list->contacts) {
      if (listed.address.uri.text == contact && listed.expires) return *listed.expires;
    }
  }
  if (auto header = sip::expires(ok); header && *header) return **header;
  return requested;
}

}  // namespace osprey::registrar
