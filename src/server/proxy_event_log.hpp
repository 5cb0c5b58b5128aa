#pragma once
// The log lines of what the proxy gives up on, at info level, so an operator sees why a call or
// message did not get through without turning debug on; each kind bounded so that no traffic
// can turn the log into a flood:
//  - a branch lost to a transport error (connection refused or reset, send error, TLS failure):
//    one line naming the Call-ID, where it went and the cause, at most kLinesPerSecond a second;
//  - a request for a served user osprey answered itself with 404 (no such account) or 480 (no
//    registered device): one line, at most kLinesPerSecond a second (a scanner enumerating
//    users gets no more);
//  - an ACK osprey does not forward (access control, or the gateway rule): one line per dialog
//    (Call-ID, From tag, To tag), not one per retransmission, remembered among the last
//    kRememberedDialogs dialogs, and at most kLinesPerSecond a second however many dialogs an
//    attacker invents.
// One per worker, used on its thread only.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <spdlog/logger.h>

#include "net/flow.hpp"
#include "proxy/proxy_events.hpp"
#include "server/log_budget.hpp"
#include "server/seen_keys.hpp"
#include "sip/message.hpp"

namespace osprey::server {

class ProxyEventLog {
 public:
  static constexpr std::size_t kRememberedDialogs = 4096;
  static constexpr std::uint32_t kLinesPerSecond = 10;

  ProxyEventLog(spdlog::logger& logger, std::uint64_t seed);

  void branch_transport_failure(const proxy::BranchTransportFailure& failure);
  void user_not_reachable(const proxy::UserNotReachable& event);
  // `why`: a string literal naming the rule; `from`: where the ACK came from, if known.
  void ack_dropped(const sip::Message& ack, std::string_view why, const net::Endpoint* from = nullptr);

  // The key an ACK's dialog is remembered by: its Call-ID, From tag and To tag.
  static std::string dialog_key(const sip::Message& ack);

  // Hooks for proxy::ProxyServices::events, calling this object (which must outlive them).
  proxy::ProxyEvents events();

 private:
  spdlog::logger& logger_;
  SeenKeys acked_dialogs_;
  LogBudget ack_lines_;
  LogBudget failure_lines_;
  LogBudget unreachable_lines_;
};

}  // namespace osprey::server
