#include "server/proxy_event_log.hpp"

#include <string>

namespace osprey::server {
namespace {

// Said in the line that follows lines left out for the rate bound.
std::string suppressed_note(std::uint64_t suppressed) {
  return suppressed == 0 ? std::string()
                         : " (" + std::to_string(suppressed) + " similar lines left out before)";
}

}  // namespace

ProxyEventLog::ProxyEventLog(spdlog::logger& logger, std::uint64_t seed)
    : logger_(logger),
      acked_dialogs_(kRememberedDialogs, seed),
      ack_lines_(kLinesPerSecond),
      failure_lines_(kLinesPerSecond),
      unreachable_lines_(kLinesPerSecond) {}

std::string ProxyEventLog::dialog_key(const sip::Message& ack) {
  // RFC 3261 §12: a dialog is its Call-ID and the two tags; '\n' cannot occur in any of them.
  std::string key(ack.call_id().value_or(""));
  key += '\n';
  if (ack.from()) key += ack.from()->tag();
  key += '\n';
  if (ack.to()) key += ack.to()->tag();
  return key;
}

void ProxyEventLog::branch_transport_failure(const proxy::BranchTransportFailure& failure) {
  std::uint64_t suppressed = 0;
  if (!failure_lines_.admit(LogBudget::Clock::now(), suppressed)) return;
  logger_.info("{} {} (Call-ID '{}'): branch to {}:{} failed: {}{}", failure.method, failure.request_uri,
               failure.call_id, net::via_token(failure.to.protocol), net::to_string(failure.to.destination),
               failure.cause, suppressed_note(suppressed));
}

void ProxyEventLog::user_not_reachable(const proxy::UserNotReachable& event) {
  std::uint64_t suppressed = 0;
  if (!unreachable_lines_.admit(LogBudget::Clock::now(), suppressed)) return;
  logger_.info("{} {} (Call-ID '{}'): answered {}: {}{}", event.method, event.request_uri, event.call_id,
               event.status, event.why, suppressed_note(suppressed));
}

void ProxyEventLog::ack_dropped(const sip::Message& ack, std::string_view why, const net::Endpoint* from) {
  // The dialog gate first: retransmissions of a logged ACK do not use up the line budget.
  if (!acked_dialogs_.first_time(dialog_key(ack))) return;
  std::uint64_t suppressed = 0;
  if (!ack_lines_.admit(LogBudget::Clock::now(), suppressed)) return;
  logger_.info("ACK of Call-ID '{}' from {} toward {} not forwarded: {} (logged once per dialog){}",
               ack.call_id().value_or(""), from != nullptr ? net::to_string(*from) : std::string("?"),
               ack.request_uri().text, why, suppressed_note(suppressed));
}

proxy::ProxyEvents ProxyEventLog::events() {
  proxy::ProxyEvents events;
  events.branch_transport_failure = [this](const proxy::BranchTransportFailure& failure) {
    branch_transport_failure(failure);
  };
  events.user_not_reachable = [this](const proxy::UserNotReachable& event) { user_not_reachable(event); };
  events.ack_dropped = [this](const sip::Message& ack, std::string_view why) { ack_dropped(ack, why); };
  return events;
}

}  // namespace osprey::server
