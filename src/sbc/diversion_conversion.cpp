#include "sbc/diversion_conversion.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "sbc/identity_uri.hpp"
#include "sip/char_class.hpp"
#include "sip/host.hpp"
#include "sip/uri_header_fields.hpp"

namespace osprey::sbc {
namespace {

struct ReasonCause {
  std::string_view reason;
  std::uint16_t cause;
};

// RFC 7544 §4.2 (Diversion to History-Info); the table in diversion_conversion.hpp.
constexpr std::array<ReasonCause, 11> kReasonToCause{{
    {"unknown", 404},
    {"user-busy", 486},
    {"no-answer", 408},
    {"unconditional", 302},
    {"deflection", 480},
    {"unavailable", 503},
    {"out-of-service", 503},
    {"time-of-day", 404},
    {"do-not-disturb", 404},
    {"follow-me", 404},
    {"away", 404},
}};

// "<uri>" with the display name in front when there is one.
std::string name_addr_text(const sip::NameAddr& address, const std::string& uri) {
  std::string out = quoted_display_name(address.display_text());
  if (!out.empty()) out += ' ';
  out += '<';
  out += uri;
  out += '>';
  return out;
}

std::optional<std::string> rebuilt_address(const sip::NameAddr& address, const HostRewrite& hosts) {
  auto uri = identity_uri_text(address.uri, hosts.replacement_for(address.uri.host));
  if (!uri) return std::nullopt;
  return name_addr_text(address, *uri);
}

// Parameters copied into a rebuilt header must stay tokens: the parser removed quotes, so a
// value that is not a token now would change the header's shape.
void add_token_param(std::string& out, std::string_view name, std::optional<std::string_view> value) {
  if (!value || value->empty() || value->size() > 32 || !sip::is_token(*value)) return;
  out += ';';
  out += name;
  out += '=';
  out += *value;
}

std::optional<std::uint16_t> cause_param(const sip::Uri& uri) {
  auto text = uri.param("cause");
  if (!text || text->size() != 3) return std::nullopt;
  std::uint16_t cause = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), cause);
  if (error != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return cause;
}

// RFC 7044 §9.1: the Reason (RFC 3326) in the URI of the entry retargeted from, when the entry
// retargeted to carries no cause parameter.
std::optional<std::uint16_t> reason_cause(const sip::HistoryInfoEntry& entry) {
  auto reason = entry.reason();
  if (!reason) return std::nullopt;
  auto parsed = sip::parse_reason(*reason);
  if (!parsed || !parsed->is_sip() || !parsed->cause || *parsed->cause < 300 || *parsed->cause > 699) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(*parsed->cause);
}

bool hides_history(const sip::HistoryInfoEntry& entry) {
  auto privacy = sip::uri_header(entry.address.uri, "Privacy");
  return privacy && sip::iequals(*privacy, "history");
}

// The History-Info index of the n-th entry of a chain of retargets: 1, 1.1, 1.1.1...
std::string chain_index(std::size_t position) {
  std::string index = "1";
  for (std::size_t i = 0; i < position; ++i) index += ".1";
  return index;
}

}  // namespace

std::string_view HostRewrite::replacement_for(std::string_view host) const {
  if (!is_internal || own_host.empty()) return {};
  return is_internal(sip::canonical_host(host)) ? std::string_view(own_host) : std::string_view{};
}

std::uint16_t cause_for_diversion_reason(std::string_view reason) {
  for (const ReasonCause& entry : kReasonToCause) {
    if (sip::iequals(entry.reason, reason)) return entry.cause;
  }
  return 404;
}

std::string_view diversion_reason_for_cause(std::uint16_t cause) {
  switch (cause) {
    case 302: return "unconditional";
    case 486: return "user-busy";
    case 408: return "no-answer";
    case 480:
    case 487: return "deflection";
    case 503: return "unavailable";
    default: return "unknown";
  }
}

std::vector<std::string> history_info_from_diversions(std::span<const sip::Diversion> diversions,
                                                      const sip::Uri& current_target,
                                                      const HostRewrite& hosts) {
  std::vector<std::string> out;
  std::size_t count = std::min(diversions.size(), kMaxDiversionEntries);
  // Oldest first: the last Diversion names the original target.
  for (std::size_t position = 0; position < count; ++position) {
    const sip::Diversion& diversion = diversions[count - 1 - position];
    auto address = rebuilt_address(diversion.address, hosts);
    if (!address) continue;
    // The diverting party reached this entry because of the previous (older) diversion.
    std::string entry = *address;
    if (position > 0) {
      std::uint16_t cause =
          cause_for_diversion_reason(diversions[count - position].reason.value_or("unknown"));
      entry.insert(entry.size() - 1, ";cause=" + std::to_string(cause));
      entry += ";index=" + chain_index(position) + ";mp=" + chain_index(position - 1);
    } else {
      entry += ";index=1";
    }
    out.push_back(std::move(entry));
  }
  if (out.empty()) return out;
  // The current target, reached because of the most recent diversion.
  auto target = identity_uri_text(current_target, hosts.replacement_for(current_target.host));
  if (!target) return out;
  std::uint16_t cause = cause_for_diversion_reason(diversions.front().reason.value_or("unknown"));
  std::size_t position = out.size();
  out.push_back("<" + *target + ";cause=" + std::to_string(cause) + ">;index=" + chain_index(position) +
                ";mp=" + chain_index(position - 1));
  return out;
}

std::vector<std::string> diversions_from_history_info(std::span<const sip::HistoryInfoEntry> entries,
                                                      const HostRewrite& hosts) {
  std::vector<std::string> oldest_first;
  std::size_t count = std::min(entries.size(), kMaxDiversionEntries + 1);
  for (std::size_t i = 0; i + 1 < count; ++i) {
    // RFC 7544 §5.1: an entry becomes a Diversion when the next one was reached by a diversion
    // (a cause parameter, RFC 4458); plain retargeting (a registrar lookup) is not a diversion.
    auto cause = cause_param(entries[i + 1].address.uri);
    if (!cause) cause = reason_cause(entries[i]);
    if (!cause) continue;
    auto address = rebuilt_address(entries[i].address, hosts);
    if (!address) continue;
    std::string diversion = *address;
    diversion += ";reason=";
    diversion += diversion_reason_for_cause(*cause);
    diversion += ";counter=1";
    if (hides_history(entries[i])) diversion += ";privacy=full";
    oldest_first.push_back(std::move(diversion));
  }
  return {oldest_first.rbegin(), oldest_first.rend()};
}

std::vector<std::string> rebuilt_diversions(std::span<const sip::Diversion> diversions,
                                            const HostRewrite& hosts) {
  std::vector<std::string> out;
  for (const sip::Diversion& diversion :
       diversions.first(std::min(diversions.size(), kMaxDiversionEntries))) {
    auto address = rebuilt_address(diversion.address, hosts);
    if (!address) continue;
    std::string entry = *address;
    add_token_param(entry, "reason", diversion.reason);
    if (diversion.counter) entry += ";counter=" + std::to_string(*diversion.counter);
    if (diversion.limit) entry += ";limit=" + std::to_string(*diversion.limit);
    add_token_param(entry, "privacy", diversion.privacy);
    add_token_param(entry, "screen", diversion.screen);
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<std::string> rebuilt_history_info(std::span<const sip::HistoryInfoEntry> entries,
                                              const HostRewrite& hosts) {
  std::vector<std::string> out;
  for (const sip::HistoryInfoEntry& entry :
       entries.first(std::min(entries.size(), kMaxDiversionEntries + 1))) {
    auto uri =
        identity_uri_text(entry.address.uri, hosts.replacement_for(entry.address.uri.host), CauseParam::keep);
    if (!uri) continue;
    // The Reason and Privacy the entry carried in its URI (RFC 7044 §4.2.1), re-escaped.
    std::string headers;
    for (std::string_view name : {"Reason", "Privacy"}) {
      auto value = sip::uri_header(entry.address.uri, name);
      if (!value || value->empty() || value->size() > 128) continue;
      headers += headers.empty() ? '?' : '&';
      headers += name;
      headers += '=';
      headers += sip::escape(*value, sip::UriComponent::header);
    }
    std::string text = name_addr_text(entry.address, *uri + headers);
    // The index values were checked by the parser (index-val = number *("." number)).
    text += ";index=";
    text += entry.index;
    if (entry.rc) text += ";rc=" + std::string(*entry.rc);
    if (entry.mp) text += ";mp=" + std::string(*entry.mp);
    if (entry.np) text += ";np=" + std::string(*entry.np);
    out.push_back(std::move(text));
  }
  return out;
}

void write_diversion_headers(IdentityPolicy::Diversion mode, const sip::Message& inbound,
                             const sip::Uri& current_target, sip::Message& outbound,
                             const HostRewrite& hosts) {
  outbound.remove_headers(sip::HeaderId::diversion);
  outbound.remove_headers(sip::HeaderId::history_info);
  // A header with one malformed element is dropped whole: passing its other elements would
  // mean guessing where the damage ends.
  std::vector<sip::Diversion> diversions;
  if (inbound.count(sip::HeaderId::diversion) > 0) {
    if (auto parsed = sip::diversions(inbound)) diversions = std::move(*parsed);
  }
  std::vector<sip::HistoryInfoEntry> history;
  if (inbound.count(sip::HeaderId::history_info) > 0) {
    if (auto parsed = sip::history_info(inbound)) history = std::move(*parsed);
  }
  std::vector<std::string> diversion_values;
  std::vector<std::string> history_values;
  switch (mode) {
    case IdentityPolicy::Diversion::keep:
      diversion_values = rebuilt_diversions(diversions, hosts);
      history_values = rebuilt_history_info(history, hosts);
      break;
    case IdentityPolicy::Diversion::history_info:
      // RFC 7544 §4: History-Info already present is the richer record; else convert.
      history_values = history.empty() ? history_info_from_diversions(diversions, current_target, hosts)
                                       : rebuilt_history_info(history, hosts);
      break;
    case IdentityPolicy::Diversion::diversion:
      diversion_values = diversions.empty() ? diversions_from_history_info(history, hosts)
                                            : rebuilt_diversions(diversions, hosts);
      break;
  }
  for (const std::string& value : diversion_values) outbound.add_header(sip::HeaderId::diversion, value);
  for (const std::string& value : history_values) outbound.add_header(sip::HeaderId::history_info, value);
}

}  // namespace osprey::sbc
