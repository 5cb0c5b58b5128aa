#include "sbc/leg_request.hpp"

#include <algorithm>
#include <array>

#include "sbc/leg_contact.hpp"
#include "sip/contact.hpp"

namespace osprey::sbc {

namespace {

constexpr std::array kCopiedHeaders{
    sip::HeaderId::accept,
    sip::HeaderId::accept_language,
    sip::HeaderId::allow,
    sip::HeaderId::allow_events,
    sip::HeaderId::content_disposition,
    sip::HeaderId::content_encoding,
    sip::HeaderId::content_language,
    sip::HeaderId::event,
    sip::HeaderId::expires,
    sip::HeaderId::mime_version,
    sip::HeaderId::priority,
    sip::HeaderId::privacy,
    sip::HeaderId::reason,
    sip::HeaderId::require,
    sip::HeaderId::retry_after,
    sip::HeaderId::rseq,
    sip::HeaderId::subject,
    sip::HeaderId::subscription_state,
    sip::HeaderId::supported,
    sip::HeaderId::unsupported,
};
// Headers with no typed id that are end-to-end and name no host (RFC 6086 INFO packages).
constexpr std::array<std::string_view, 2> kCopiedByName{"Info-Package", "Recv-Info"};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

// An option-tag list without "timer" (RFC 4028 §3: each leg says for itself); empty when
// nothing else was listed.
std::string without_timer(std::string_view list) {
  std::string kept;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view token = list.substr(0, comma);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (!token.empty() && !iequals(token, "timer")) {
      if (!kept.empty()) kept += ", ";
      kept += token;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return kept;
}

}  // namespace

void copy_end_to_end(const sip::Message& from, sip::MessageBuilder& to) {
  for (const sip::HeaderField& field : from.fields()) {
    if (field.removed()) continue;
    bool copy = std::find(kCopiedHeaders.begin(), kCopiedHeaders.end(), field.id) != kCopiedHeaders.end();
    if (!copy && field.id == sip::HeaderId::other) {
      const std::string_view name = from.name(field);
      copy = std::any_of(kCopiedByName.begin(), kCopiedByName.end(),
                         [name](std::string_view allowed) { return iequals(name, allowed); });
    }
    if (!copy) continue;
    if (field.id == sip::HeaderId::supported || field.id == sip::HeaderId::require) {
      const std::string kept = without_timer(from.value(field));
      if (!kept.empty()) to.header(from.name(field), kept);
      continue;
    }
    to.header(from.name(field), from.value(field));
  }
  const std::string_view body = from.body();
  if (!body.empty()) {
    if (auto type = from.first_value(sip::HeaderId::content_type)) {
      // RFC 3515 §2.4.5: a REFER's NOTIFY carries a message/sipfrag that begins with the status
      // line; the rest is the other side's headers (Contact, Server, Via...): only the status
      // line crosses the border, which is all the referrer needs. The line ends at a CR or LF
      // alone too: a fragment written with bare line feeds must not carry its headers across.
      if (iequals(type->substr(0, 15), "message/sipfrag")) {
        const std::size_t end = body.find_first_of("\r\n");
        to.body(*type, std::string(body.substr(0, end)) + "\r\n");
      } else {
        to.body(*type, body);
      }
    }
  }
}

void add_timer_headers(const TimerHeaders& headers, sip::MessageBuilder& to) {
  for (const TimerHeader& header : headers) to.header(header.id, header.value);
}

void remember_sdp(Leg& leg, const sip::Message& sent) {
  const std::string_view body = sent.body();
  if (body.empty()) return;
  const auto type = sent.first_value(sip::HeaderId::content_type);
  if (!type || type->find("sdp") == std::string_view::npos) return;
  leg.sdp.assign(body);
  leg.sdp_type.assign(*type);
}

sip::MessageBuilder leg_request(const Leg& leg, std::string_view method, std::uint32_t cseq,
                                std::string_view local_tag, std::string_view remote_tag, bool with_contact,
                                std::uint32_t max_forwards) {
  auto builder = sip::MessageBuilder::request(method, leg.remote_target);
  for (const std::string& route : leg.route_set) builder.header(sip::HeaderId::route, route);
  builder.header(sip::HeaderId::max_forwards, std::to_string(max_forwards));
  builder.header(sip::HeaderId::from, {leg.local_uri, ";tag=", local_tag});
  if (remote_tag.empty()) {
    builder.header(sip::HeaderId::to, leg.remote_uri);
  } else {
    builder.header(sip::HeaderId::to, {leg.remote_uri, ";tag=", remote_tag});
  }
  builder.header(sip::HeaderId::call_id, leg.call_id);
  const std::string number = std::to_string(cseq);
  builder.header(sip::HeaderId::cseq, {number, " ", method});
  if (with_contact) builder.header(sip::HeaderId::contact, leg.contact);
  return builder;
}

std::string without_tag(const sip::NameAddr& name_addr) {
  std::string text;
  if (!name_addr.display_name.empty()) {
    text += name_addr.display_name;
    text += ' ';
  }
  text += '<';
  text += name_addr.uri.text;
  text += '>';
  // Header parameters but the tag (RFC 3261 §19.3: the tag is per dialog, per leg).
  std::string_view params = name_addr.params;
  while (!params.empty()) {
    params.remove_prefix(1);  // ';'
    const std::size_t end = params.find(';');
    const std::string_view param = params.substr(0, end);
    const std::string_view name = param.substr(0, param.find('='));
    if (!iequals(name, "tag")) {
      text += ';';
      text += param;
    }
    if (end == std::string_view::npos) break;
    params.remove_prefix(end);
  }
  return text;
}

std::string leg_contact(unsigned worker, std::string_view leg_id, net::Protocol protocol,
                        const net::Endpoint& at) {
  std::string text = "<sip:";
  text += leg_contact_user(worker, leg_id);
  text += '@';
  text += net::to_string(at);
  if (protocol != net::Protocol::udp) {
    text += ";transport=";
    for (const char c : net::via_token(protocol)) text += static_cast<char>(c | 0x20);
  }
  text += '>';
  return text;
}

std::string contact_uri(const sip::Message& message) {
  auto list = sip::contacts(message);
  if (!list || list->star || list->contacts.empty()) return {};
  const sip::Uri& uri = list->contacts.front().address.uri;
  if (!uri.is_sip()) return {};
  return std::string(uri.text);
}

std::vector<std::string> route_set_of(const sip::Message& message, bool reverse) {
  std::vector<std::string> routes;
  message.for_each_element(sip::HeaderId::record_route, [&routes](std::string_view element) {
    routes.emplace_back(element);
    return routes.size() < 16;  // a longer route set is nobody's real path
  });
  if (reverse) std::reverse(routes.begin(), routes.end());
  return routes;
}

}  // namespace osprey::sbc
