#include "sbc/identity_reader.hpp"

#include "sbc/identity_uri.hpp"
#include "sip/char_class.hpp"
#include "sip/identity_headers.hpp"
#include "sip/value_list.hpp"

namespace osprey::sbc {
namespace {

constexpr std::string_view kRemotePartyId = "Remote-Party-ID";
// More Remote-Party-ID elements than this are not looked at: a calling party is named once.
constexpr std::size_t kMaxRemotePartyIdElements = 8;

// An identity osprey can write again (sbc/identity_uri.hpp); one it could not is passed over
// so the next source in the policy's order is tried.
bool usable(const sip::Uri& uri) { return identity_uri_text(uri).has_value(); }

std::optional<CallerIdentity> from_asserted(const sip::Message& inbound) {
  if (inbound.count(sip::HeaderId::p_asserted_identity) == 0) return std::nullopt;
  auto identities = sip::asserted_identities(inbound);
  if (!identities) return std::nullopt;
  // RFC 3325 §9.1: at most one sip/sips and one tel URI; the first usable one is the caller.
  for (const sip::NameAddr& address : *identities) {
    if (usable(address.uri)) return CallerIdentity{address, IdentityHeader::p_asserted_identity, false};
  }
  return std::nullopt;
}

std::optional<CallerIdentity> from_from(const sip::Message& inbound) {
  const auto& from = inbound.from();
  if (!from || !usable(from->uri)) return std::nullopt;
  return CallerIdentity{*from, IdentityHeader::from, false};
}

std::optional<CallerIdentity> from_remote_party_id(const sip::Message& inbound) {
  std::optional<CallerIdentity> found;
  std::size_t seen = 0;
  for (const sip::HeaderField& field : inbound.fields()) {
    if (field.removed() || !sip::iequals(inbound.name(field), kRemotePartyId)) continue;
    sip::for_each_list_element(inbound.value(field), [&](std::string_view element) {
      if (++seen > kMaxRemotePartyIdElements) return false;
      auto parsed = parse_remote_party_id(element);
      if (parsed && parsed->calling && usable(parsed->address.uri)) {
        found = CallerIdentity{parsed->address, IdentityHeader::remote_party_id, parsed->privacy_requested};
        return false;
      }
      return true;
    });
    if (found || seen > kMaxRemotePartyIdElements) break;
  }
  return found;
}

}  // namespace

sip::Result<RemotePartyId> parse_remote_party_id(std::string_view element) {
  auto address = sip::parse_name_addr(element, kRemotePartyId);
  if (!address) return tl::unexpected(address.error());
  RemotePartyId id{*address};
  if (auto party = address->param("party")) id.calling = sip::iequals(*party, "calling");
  if (auto privacy = address->param("privacy")) {
    id.privacy_requested = !privacy->empty() && !sip::iequals(*privacy, "off");
  }
  return id;
}

std::optional<CallerIdentity> read_caller_identity(std::span<const IdentityHeader> order,
                                                   const sip::Message& inbound, bool believe_asserted) {
  for (IdentityHeader header : order) {
    std::optional<CallerIdentity> found;
    switch (header) {
      case IdentityHeader::p_asserted_identity:
        if (believe_asserted) found = from_asserted(inbound);
        break;
      case IdentityHeader::from: found = from_from(inbound); break;
      case IdentityHeader::remote_party_id:
        if (believe_asserted) found = from_remote_party_id(inbound);
        break;
    }
    if (found) return found;
  }
  return std::nullopt;
}

}  // namespace osprey::sbc
