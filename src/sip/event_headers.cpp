#include "sip/event_headers.hpp"

#include "sip/header_lines.hpp"
#include "sip/numeric_headers.hpp"
#include "sip/params.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {

namespace {

// Position of `part`, a view into `whole`, within `whole`.
std::size_t position_in(std::string_view whole, std::string_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

}  // namespace

bool is_event_type(std::string_view text) {
  if (!is_token(text)) return false;
  // token-nodot parts: no empty part, so no leading, trailing or doubled '.'.
  if (text.front() == '.' || text.back() == '.') return false;
  return text.find("..") == std::string_view::npos;
}

Result<Event> parse_event(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "Event";
  Event result;
  Scanner s(value);
  s.skip_lws();
  std::size_t start = s.pos();
  result.type = s.take_token();
  if (!is_event_type(result.type)) return malformed(kHeader, "invalid event-type", offset + start);
  result.package = result.type.substr(0, result.type.find('.'));
  auto params = scan_header_params(s, kHeader, offset);
  if (!params) return tl::unexpected(std::move(params.error()));
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  result.params = *params;
  bool bad_id = false;
  std::size_t bad_at = 0;
  for_each_param(result.params, [&](const Param& p) {
    if (!iequals(p.name, "id")) return true;
    // "id" EQUAL token: a value is required and may not be quoted (RFC 6665 §8.4).
    if (!p.has_value || !is_token(p.value)) {
      bad_id = true;
      bad_at = position_in(value, p.name);
      return false;
    }
    if (!result.has_id) {
      result.id = p.value;
      result.has_id = true;
    }
    return true;
  });
  if (bad_id) return malformed(kHeader, "id must be a token", offset + bad_at);
  return result;
}

Result<SubscriptionState> parse_subscription_state(std::string_view value, std::size_t offset) {
  constexpr std::string_view kHeader = "Subscription-State";
  SubscriptionState result;
  Scanner s(value);
  s.skip_lws();
  std::size_t start = s.pos();
  result.value = s.take_token();
  if (result.value.empty()) return malformed(kHeader, "missing substate-value", offset + start);
  if (iequals(result.value, "active")) {
    result.status = SubscriptionStatus::active;
  } else if (iequals(result.value, "pending")) {
    result.status = SubscriptionStatus::pending;
  } else if (iequals(result.value, "terminated")) {
    result.status = SubscriptionStatus::terminated;
  }
  auto params = scan_header_params(s, kHeader, offset);
  if (!params) return tl::unexpected(std::move(params.error()));
  if (auto end = expect_value_end(s, kHeader, offset); !end) return tl::unexpected(std::move(end.error()));
  result.params = *params;
  std::optional<ParseError> error;
  bool has_reason = false;
  for_each_param(result.params, [&](const Param& p) {
    std::size_t at = offset + position_in(value, p.name);
    if (iequals(p.name, "reason")) {
      // event-reason-value is a token (RFC 6665 §8.4).
      if (!p.has_value || !is_token(p.value)) {
        error = malformed(kHeader, "reason must be a token", at).value();
        return false;
      }
      if (!has_reason) result.reason = p.value;
      has_reason = true;
    } else if (iequals(p.name, "expires") || iequals(p.name, "retry-after")) {
      auto seconds = parse_delta_seconds(p.value, kHeader, at);
      if (!seconds) {
        error = std::move(seconds.error());
        return false;
      }
      auto& slot = iequals(p.name, "expires") ? result.expires : result.retry_after;
      if (!slot) slot = *seconds;
    }
    return true;
  });
  if (error) return tl::unexpected(std::move(*error));
  return result;
}

Result<std::optional<Event>> event(const Message& message) {
  return parse_single_line<Event>(message, HeaderId::event, parse_event);
}

Result<std::optional<SubscriptionState>> subscription_state(const Message& message) {
  return parse_single_line<SubscriptionState>(message, HeaderId::subscription_state,
                                              parse_subscription_state);
}

}  // namespace osprey::sip
