#include "sip/session_timer_headers.hpp"

#include <algorithm>

#include "sip/char_class.hpp"
#include "sip/params.hpp"
#include "sip/token_list.hpp"

namespace osprey::sip {
namespace {

bool lists_timer(const Message& message, HeaderId id) {
  auto tokens = token_list(message, id);
  return tokens && contains_token(*tokens, kTimerOptionTag);
}

}  // namespace

std::string_view to_string(Refresher refresher) {
  switch (refresher) {
    case Refresher::uac: return "uac";
    case Refresher::uas: return "uas";
    case Refresher::none: break;
  }
  return {};
}

std::string format_session_expires(std::uint32_t seconds, Refresher refresher) {
  std::string out = std::to_string(seconds);
  if (refresher != Refresher::none) {
    out += ";refresher=";
    out += to_string(refresher);
  }
  return out;
}

std::string format_session_expires(const SessionExpires& value) {
  std::string out = format_session_expires(value.seconds, value.refresher);
  for_each_param(value.params, [&](const Param& p) {
    if (iequals(p.name, "refresher")) return true;
    out += ';';
    out += p.name;
    if (p.has_value) {
      out += '=';
      out += p.value;
    }
    return true;
  });
  return out;
}

std::string format_min_se(std::uint32_t seconds) { return std::to_string(seconds); }

std::uint32_t effective_min_se(const std::optional<MinSE>& min_se) {
  if (!min_se) return kMinimumSessionInterval;
  return std::max(min_se->seconds, kMinimumSessionInterval);
}

bool supports_timer(const Message& message) { return lists_timer(message, HeaderId::supported); }
bool requires_timer(const Message& message) { return lists_timer(message, HeaderId::require); }

}  // namespace osprey::sip
