#pragma once
// What the proxy gives up on, told to the layer above: proxy/ writes no log itself, the server
// decides what reaches the operator's log and how often (server/proxy_event_log.hpp).

#include <functional>
#include <string_view>

#include "sip/message.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {

// A branch that ended for a transport reason (RFC 3261 §16.7 step 3 / §16.9: taken as a 503),
// not for an answer or a timeout.
struct BranchTransportFailure {
  std::string_view call_id;  // of the proxied request
  const txn::Target& to;     // where the branch was sent
  std::string_view cause;
  std::string_view method;       // of the proxied request
  std::string_view request_uri;  // as it arrived (the user it was for)
};

// A request for a served user answered by osprey itself because nobody could take it: 404 (no
// such account) or 480 (no binding, RFC 3261 §16.5).
struct UserNotReachable {
  std::string_view call_id;
  std::string_view method;
  std::string_view request_uri;
  int status;
  std::string_view why;  // a string literal
};

struct ProxyEvents {
  std::function<void(const BranchTransportFailure&)> branch_transport_failure;
  std::function<void(const UserNotReachable&)> user_not_reachable;
  // An ACK for a 2xx the proxy does not forward: `why` names the rule (a string literal).
  std::function<void(const sip::Message& ack, std::string_view why)> ack_dropped;
};

}  // namespace osprey::proxy
