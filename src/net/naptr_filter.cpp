#include "net/naptr_filter.hpp"

#include <algorithm>

#include "net/dns_name.hpp"

namespace osprey::net {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) {
             return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

}  // namespace

std::optional<Protocol> protocol_of_naptr_service(std::string_view service, bool secure_uri) {
  // RFC 3263 §4.1: "a client resolving a SIPS URI MUST discard any services that do not
  // contain "SIPS" as the protocol"; a client resolving a SIP URI keeps SIPS ones (TLS).
  if (equal_ignoring_case(service, "SIPS+D2T")) return Protocol::tls;
  // RFC 7118 (IANA's SIP NAPTR registry): WebSocket, secure over TLS (WSS).
  if (equal_ignoring_case(service, "SIPS+D2W")) return Protocol::wss;
  if (secure_uri) return std::nullopt;
  if (equal_ignoring_case(service, "SIP+D2U")) return Protocol::udp;
  if (equal_ignoring_case(service, "SIP+D2T")) return Protocol::tcp;
  if (equal_ignoring_case(service, "SIP+D2W")) return Protocol::ws;
  return std::nullopt;  // SCTP (D2S) and anything unknown
}

std::vector<NaptrChoice> usable_naptr_choices(const std::vector<NaptrRecord>& records, bool secure_uri,
                                              std::size_t max_choices) {
  std::vector<const NaptrRecord*> sorted;
  sorted.reserve(records.size());
  for (const NaptrRecord& record : records) sorted.push_back(&record);
  std::stable_sort(sorted.begin(), sorted.end(), [](const NaptrRecord* a, const NaptrRecord* b) {
    return a->order != b->order ? a->order < b->order : a->preference < b->preference;
  });
  std::vector<NaptrChoice> choices;
  for (const NaptrRecord* record : sorted) {
    if (choices.size() >= max_choices) break;
    // RFC 3263 §4.1: SIP uses the "S" flag (an SRV lookup follows) and no regular expression.
    if (!equal_ignoring_case(record->flags, "s") || !record->regexp.empty()) continue;
    const auto protocol = protocol_of_naptr_service(record->service, secure_uri);
    if (!protocol || !is_plausible_dns_name(record->replacement)) continue;
    const bool seen = std::any_of(choices.begin(), choices.end(), [&](const NaptrChoice& choice) {
      return choice.protocol == *protocol && choice.srv_name == record->replacement;
    });
    if (!seen) choices.push_back(NaptrChoice{*protocol, record->replacement});
  }
  return choices;
}

}  // namespace osprey::net
