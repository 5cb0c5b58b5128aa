#pragma once
// Event and Subscription-State (RFC 6665 §8.2.1, §8.2.3, grammar §8.4):
//   Event              = ( "Event" / "o" ) HCOLON event-type *( SEMI event-param )
//   event-type         = event-package *( "." event-template )
//   event-package      = token-nodot,  event-template = token-nodot
//   event-param        = generic-param / ( "id" EQUAL token )
//   Subscription-State = "Subscription-State" HCOLON substate-value *( SEMI subexp-params )
//   substate-value     = "active" / "pending" / "terminated" / extension-substate
//   subexp-params      = ("reason" EQUAL event-reason-value) / ("expires" EQUAL delta-seconds)
//                        / ("retry-after" EQUAL delta-seconds) / generic-param

#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/error.hpp"
#include "sip/message.hpp"

namespace osprey::sip {

// True if `text` is an event-type: dot-separated, non-empty token-nodot parts ("presence",
// "presence.winfo"; not ".x", "x.", "x..y"). Allow-Events uses the same rule.
bool is_event_type(std::string_view text);

struct Event {
  std::string_view type;     // "presence.winfo"
  std::string_view package;  // "presence": the part before the first '.'
  std::string_view id;       // the id parameter, empty if absent
  bool has_id = false;
  std::string_view params;  // all parameters as written, with the leading ';'
};
Result<Event> parse_event(std::string_view value, std::size_t offset = 0);

enum class SubscriptionStatus : std::uint8_t { active, pending, terminated, extension };

struct SubscriptionState {
  SubscriptionStatus status = SubscriptionStatus::extension;
  std::string_view value;   // the substate-value as written
  std::string_view reason;  // event-reason-value ("timeout", "rejected"...), empty if absent
  std::optional<std::uint32_t> expires;
  std::optional<std::uint32_t> retry_after;
  std::string_view params;
};
Result<SubscriptionState> parse_subscription_state(std::string_view value, std::size_t offset = 0);

// The header of `message`, parsed; nullopt if absent, an error if malformed or present twice.
Result<std::optional<Event>> event(const Message& message);
Result<std::optional<SubscriptionState>> subscription_state(const Message& message);

}  // namespace osprey::sip
