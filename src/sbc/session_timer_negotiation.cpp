#include "sbc/session_timer_negotiation.hpp"

#include <algorithm>
#include <string_view>

#include "sip/char_class.hpp"
#include "sip/session_timer_headers.hpp"
#include "sip/token_list.hpp"

namespace osprey::sbc {
namespace {

using sip::HeaderId;

// RFC 4028 §4/§5: nobody, osprey included, runs a session interval below 90 seconds.
std::uint32_t our_min_se(const SessionTimerSettings& settings) {
  return std::max(settings.min_se, sip::kMinimumSessionInterval);
}

std::uint32_t our_session_expires(const SessionTimerSettings& settings) {
  return std::max(settings.session_expires, our_min_se(settings));
}

// The list header `id` without the "timer" tag, as one line (or none when nothing is left).
void remove_timer_tag(sip::Message& message, HeaderId id) {
  auto tokens = sip::token_list(message, id);
  if (tokens && !sip::contains_token(*tokens, sip::kTimerOptionTag)) return;
  std::string rest;
  if (tokens) {
    for (std::string_view token : *tokens) {
      if (sip::iequals(token, sip::kTimerOptionTag)) continue;
      if (!rest.empty()) rest += ", ";
      rest += token;  // copied: the lines the views point into are about to go
    }
  }
  // A malformed list is dropped whole: what it says about "timer" cannot be known.
  message.remove_headers(id);
  if (!rest.empty()) message.add_header(id, rest);
}

// RFC 4028 §9 table, osprey as UAS. With a UAC that supports timers the refresher it asked for
// stands ("uac" is the peer that sent the request); without a refresher parameter the UAS
// picks: the peer, which then refreshes as it expects to while osprey only watches for the
// expiry. A UAC without support cannot refresh: the UAS does (refresher=uas).
SessionRefresher uas_refresher(bool uac_supports, sip::Refresher asked) {
  if (!uac_supports) return SessionRefresher::osprey;
  return asked == sip::Refresher::uas ? SessionRefresher::osprey : SessionRefresher::peer;
}

}  // namespace

void apply_timer_headers(const TimerHeaders& headers, sip::Message& message) {
  for (const TimerHeader& header : headers) {
    if (header.id == HeaderId::supported || header.id == HeaderId::require) {
      auto tokens = sip::token_list(message, header.id);
      if (tokens && sip::contains_token(*tokens, header.value)) continue;
      message.add_header(header.id, header.value);
    } else {
      message.replace_header(header.id, header.value);
    }
  }
}

void remove_timer_headers(sip::Message& message) {
  message.remove_headers(HeaderId::session_expires);
  message.remove_headers(HeaderId::min_se);
  remove_timer_tag(message, HeaderId::supported);
  remove_timer_tag(message, HeaderId::require);
}

bool allows_update(const sip::Message& message) {
  auto methods = sip::token_list(message, HeaderId::allow);
  return methods && std::find(methods->begin(), methods->end(), std::string_view("UPDATE")) != methods->end();
}

sip::Result<UasTimerDecision> decide_as_uas(const SessionTimerSettings& settings, const sip::Message& request,
                                            const SessionTimerPolicy& policy) {
  auto asked = sip::session_expires(request);
  if (!asked) return tl::unexpected(std::move(asked.error()));
  auto their_min = sip::min_se(request);
  if (!their_min) return tl::unexpected(std::move(their_min.error()));

  UasTimerDecision decision;
  // A UAS that does not support the extension ignores both headers (RFC 4028 §9).
  if (!settings.enabled) return decision;

  // §7.1: a UAC that supports timers lists "timer" in Supported; one that requires them does too.
  const bool uac_supports = sip::supports_timer(request) || sip::requires_timer(request);
  const std::uint32_t floor = our_min_se(settings);
  const std::uint32_t request_min = sip::effective_min_se(*their_min);
  SessionTerms terms;

  if (*asked) {
    std::uint32_t interval = (*asked)->seconds;
    if (interval < floor) {
      if (uac_supports) {
        // §9: too small for us: 422 with the smallest interval we accept.
        decision.kind = UasTimerDecision::Kind::interval_too_small;
        decision.headers.push_back({HeaderId::min_se, sip::format_min_se(floor)});
        return decision;
      }
      // A UAC without timer support cannot read a 422 (a proxy inserted the header): refusing
      // would only fail the call. osprey refreshes (below) at the interval it can live with.
      interval = floor;
    }
    // §9: the UAS may lower the interval, never below the request's Min-SE (90 if absent).
    const std::uint32_t preferred = our_session_expires(settings);
    if (preferred < interval) interval = std::max({preferred, request_min, floor});
    terms.interval = interval;
    terms.refresher = uas_refresher(uac_supports, (*asked)->refresher);
  } else {
    // §9: no Session-Expires in the request: the UAS may still run a timer by putting one in
    // its 2xx, at least the request's Min-SE.
    if (!uac_supports && !policy.refresh_without_peer_support) return decision;
    terms.interval = std::max(our_session_expires(settings), request_min);
    terms.refresher = uas_refresher(uac_supports, sip::Refresher::none);
  }

  decision.kind = UasTimerDecision::Kind::timer;
  decision.terms = terms;
  const sip::Refresher written =
      terms.refresher == SessionRefresher::peer ? sip::Refresher::uac : sip::Refresher::uas;
  decision.headers.push_back(
      {HeaderId::session_expires, sip::format_session_expires(terms.interval, written)});
  // §9: "Require: timer" only toward a UAC that said it supports the extension.
  if (uac_supports) decision.headers.push_back({HeaderId::require, std::string(sip::kTimerOptionTag)});
  return decision;
}

UacTimerNegotiation::UacTimerNegotiation(const SessionTimerSettings& settings,
                                         const SessionTimerPolicy& policy)
    : enabled_(settings.enabled),
      policy_(policy),
      session_expires_(our_session_expires(settings)),
      min_se_(our_min_se(settings)) {}

UacTimerNegotiation UacTimerNegotiation::in_dialog(const SessionTimerSettings& settings, SessionTerms current,
                                                   const SessionTimerPolicy& policy) {
  UacTimerNegotiation negotiation(settings, policy);
  // §7.4: the refresh carries the current interval (never below our own floor).
  negotiation.session_expires_ = std::max(current.interval, negotiation.min_se_);
  negotiation.refresher_ = current.refresher;
  return negotiation;
}

TimerHeaders UacTimerNegotiation::request_headers() const {
  TimerHeaders headers;
  if (!enabled_) return headers;
  // §7.1: a UAC that supports the extension says so in every request but ACK.
  headers.push_back({HeaderId::supported, std::string(sip::kTimerOptionTag)});
  sip::Refresher refresher = sip::Refresher::none;
  if (refresher_)
    refresher = *refresher_ == SessionRefresher::osprey ? sip::Refresher::uac : sip::Refresher::uas;
  headers.push_back({HeaderId::session_expires, sip::format_session_expires(session_expires_, refresher)});
  headers.push_back({HeaderId::min_se, sip::format_min_se(min_se_)});
  return headers;
}

sip::Result<std::optional<SessionTerms>> UacTimerNegotiation::read_2xx(const sip::Message& response) const {
  auto answered = sip::session_expires(response);
  if (!answered) return tl::unexpected(std::move(answered.error()));
  if (!enabled_) return std::optional<SessionTerms>{};
  if (!*answered) {
    // §7.2: no Session-Expires in the 2xx: the peer runs no timer.
    if (!policy_.refresh_without_peer_support) return std::optional<SessionTerms>{};
    return std::optional<SessionTerms>{SessionTerms{session_expires_, SessionRefresher::osprey}};
  }
  SessionTerms terms;
  // A UAS may not go below the Min-SE we sent (§9); one that does still gets no interval under
  // 90 seconds from osprey (§4), so a hostile peer cannot make it refresh in a tight loop.
  terms.interval = std::max((*answered)->seconds, sip::kMinimumSessionInterval);
  // As UAC, "uac" is osprey. §9 makes the UAS set the parameter; if it did not, osprey
  // refreshes rather than count on a peer that did not say it would.
  terms.refresher =
      (*answered)->refresher == sip::Refresher::uas ? SessionRefresher::peer : SessionRefresher::osprey;
  return std::optional<SessionTerms>{terms};
}

bool UacTimerNegotiation::on_422(const sip::Message& response) {
  if (!enabled_ || response.status() != 422) return false;
  auto wanted = sip::min_se(response);
  if (!wanted || !*wanted)
    return false;  // §6: a 422 must carry Min-SE; without one there is nothing to retry with
  const std::uint32_t raised = sip::effective_min_se(*wanted);
  // One retry per higher value, a bounded number of times, never above the cap: a peer
  // answering 422 forever, or walking the value up one second at a time, ends the request.
  if (raised <= min_se_ || raised > policy_.max_min_se || retries_ >= policy_.max_422_retries) return false;
  ++retries_;
  min_se_ = raised;
  session_expires_ = std::max(session_expires_, raised);  // §7.1: Session-Expires >= Min-SE
  return true;
}

}  // namespace osprey::sbc
