// RFC 3428 store-and-forward in the proxy: a MESSAGE to a served user that no branch could
// deliver (every device offline, or silent past the delivery timeout) is handed to the im
// layer, which stores it and answers 202. RFC 3428 §8: a MESSAGE too large for UDP.
#include <algorithm>

#include "proxy/proxy_core.hpp"
#include "proxy/response_context.hpp"

namespace osprey::proxy {

bool ProxyCore::message_too_large_for(const Context& context, const txn::Target& to) const {
  if (context.outgoing_method != sip::Method::message || to.protocol != net::Protocol::udp) return false;
  if (context.request_bytes.size() + kViaAllowance <= kUdpMessageLimit) return false;
  return !transport_.sent_by(net::Protocol::tcp, to.destination);
}

bool ProxyCore::may_store(const Context& context, bool deadline_passed) const {
  // Store-and-forward: every branch ended 408/430/480/503 or with a transport error (no best response at
  // all counts too): the user is offline in practice, so a MESSAGE is kept for later.
  const int status = context.best_status;
  // 430: the device's flow failed (RFC 5626 §5.3), and its binding is gone.
  bool unreachable = status == 0 || status == 408 || status == 430 || status == 480 || status == 503;
  // At the delivery timeout, a branch still silent means no device has the message yet: another
  // device's error (482 for a Contact naming osprey, 415 for a type it refuses) does not answer
  // for it. A 6xx speaks for the user (§16.7 step 10) and ends the search.
  if (deadline_passed && !unreachable && status < 600) {
    const bool still_trying = context.next_group < context.groups.size() ||
                              std::any_of(context.branches.begin(), context.branches.end(),
                                          [](const Branch& b) { return !b.done; });
    unreachable = still_trying;
  }
  // A sips: MESSAGE is not kept: its later delivery could not promise TLS to the recipient.
  return !context.cancelled && !context.tls_only && !context.served_aor.empty() &&
         services_.offline != nullptr && unreachable && context.outgoing_method == sip::Method::message;
}

bool ProxyCore::offer_to_store(Context& context) {
  if (!may_store(context)) return false;
  auto request = original_request(context);
  if (!request ||
      !services_.offline->take(context.server, *request, context.served_aor, context.sender_identity))
    return false;
  context.final_sent = true;
  return true;
}

void ProxyCore::advance(txn::TimePoint now) {
  while (!delivery_deadlines_.empty() && delivery_deadlines_.front().first <= now) {
    const ContextKey key = delivery_deadlines_.front().second;
    delivery_deadlines_.pop_front();
    store_undelivered(key);
  }
}

void ProxyCore::store_undelivered(ContextKey key) {
  Context* context = find(key);
  if (context == nullptr || context->final_sent || !may_store(*context, true)) return;
  auto request = original_request(*context);
  if (!request) return;
  std::uint64_t stored_id = 0;
  if (!services_.offline->take(context->server, *request, context->served_aor, context->sender_identity,
                               &stored_id)) {
    return;  // not a message to keep (a typing notification, in-dialog): the branches decide
  }
  // RFC 3428 §7: answered 202 (once durable); the branches run on, and nothing they answer
  // goes upstream any more.
  ++counters_.stored_on_timeout;
  context->final_sent = true;
  context->stored_id = stored_id;
}

}  // namespace osprey::proxy
