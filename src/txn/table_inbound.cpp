// Messages from the network into the table: a response to its client transaction (§17.1.3),
// a request to its server transaction or a new one (§17.2.3), with the table's own answers to
// merged requests (§8.2.2.2). CANCEL: table_cancel.cpp.
#include "txn/transaction_table_impl.hpp"

#include <utility>

#include "sip/builder.hpp"
#include "txn/transaction_key.hpp"

namespace osprey::txn {

void TransactionTable::Impl::receive(sip::Message message, const net::Flow& flow) {
  Scope scope(*this);
  const net::Flow* outer = receiving_flow_;
  receiving_flow_ = &flow;
  if (message.is_response()) {
    receive_response(message, flow);
  } else {
    receive_request(std::move(message), flow);
  }
  receiving_flow_ = outer;
}

void TransactionTable::Impl::receive_response(const sip::Message& response, const net::Flow& flow) {
  // §17.1.3: the top Via branch and the CSeq method pick the client transaction.
  Transaction* t = find(client_keys_, true, client_key(response));
  if (t == nullptr) {
    ++counters_.stray_responses;
    user_.on_stray_response(response, flow);
    return;
  }
  if (auto* invite = std::get_if<ClientInvite>(&t->machine)) {
    invite->on_response(response);
  } else if (auto* other = std::get_if<ClientNonInvite>(&t->machine)) {
    other->on_response(response);
  }
}

void TransactionTable::Impl::receive_request(sip::Message request, const net::Flow& flow) {
  std::string key = server_key(request);
  // The sanity checks answer 400 to a request without Via or CSeq before it gets here; one
  // that slipped through matches nothing and cannot be answered sensibly.
  if (key.empty()) return;

  if (request.method() == sip::Method::ack) {
    // §17.2.1: an ACK whose key matches an INVITE transaction is the ACK for its 300-699 (or,
    // with RFC 2543 matching, possibly for its 2xx: the machine tells the two apart). Any other
    // ACK acknowledges a 2xx and is its own end-to-end request (§17.2.3, RFC 6026 §7.1).
    Transaction* t = find(server_keys_, false, key);
    if (auto* invite = t != nullptr ? std::get_if<ServerInvite>(&t->machine) : nullptr) {
      invite->on_ack(request);
      return;
    }
    user_.on_ack(request, flow);
    return;
  }

  if (Transaction* t = find(server_keys_, false, key)) {
    // §17.2.1, §17.2.2: a retransmission; the machine re-sends its last response, if any.
    ++counters_.retransmissions_absorbed;
    if (auto* invite = std::get_if<ServerInvite>(&t->machine)) {
      invite->on_request_retransmission();
    } else if (auto* other = std::get_if<ServerNonInvite>(&t->machine)) {
      other->on_request_retransmission();
    }
    return;
  }
  if (const auto* done = completed_.find(key)) {
    // §17.2.2: Completed; the final response again, to wherever it went the first time.
    ++counters_.retransmissions_absorbed;
    (void)transport_.send(done->flow, done->response());
    return;
  }

  if (request.method() == sip::Method::cancel) {
    receive_cancel(std::move(request), flow, std::move(key));
    return;
  }

  std::optional<std::string> merge = options_.reject_merged_requests ? merge_key(request) : std::nullopt;
  if (merge) {
    // §8.2.2.2: same From tag, Call-ID and CSeq as a live transaction, yet not that
    // transaction: the request forked and reached us again by another path.
    if (auto it = merge_keys_.find(*merge); it != merge_keys_.end() &&
                                            server_slots_[it->second].transaction &&
                                            server_slots_[it->second].transaction->key != key) {
      ++counters_.merged_rejected;
      answer_alone(std::move(request), flow, std::move(key), 482);
      return;
    }
  }

  Transaction& t = open_server(request, flow, key);
  if (merge) {
    t.merge_key = std::move(merge);
    index(merge_keys_, *t.merge_key, t.index);
  }
  // An INVITE now lives in its machine (it builds the 100 Trying from it); anything else is
  // still `request`, which stays alive until this call returns.
  const auto* invite = std::get_if<ServerInvite>(&t.machine);
  // Just opened: in Proceeding, so the machine still has the INVITE.
  user_.on_request(t.server_id(),
                   invite != nullptr && invite->invite() != nullptr ? *invite->invite() : request, flow);
}

TransactionTable::Impl::Transaction& TransactionTable::Impl::open_server(sip::Message& request,
                                                                         const net::Flow& arrival,
                                                                         std::string key) {
  Transaction& t = allocate(false);
  t.key = std::move(key);
  t.flow = response_flow(request, arrival);
  // §18.2.2: a stream response whose connection is gone goes to the `received` address (the
  // source) and the sent-by port, else the transport's default port.
  t.fallback.address = arrival.remote.address;
  const auto& via = request.top_via();
  t.fallback.port = via && via->has_port ? via->port : net::default_port(arrival.protocol);
  index(server_keys_, t.key, t.index);
  const TransportKind kind =
      net::is_reliable(arrival.protocol) ? TransportKind::reliable : TransportKind::unreliable;
  if (request.method() == sip::Method::invite) {
    t.machine.emplace<ServerInvite>(t, settings_, kind, std::move(request));
  } else {
    t.machine.emplace<ServerNonInvite>(t, settings_, kind);
  }
  return t;
}

void TransactionTable::Impl::answer_alone(sip::Message request, const net::Flow& arrival, std::string key,
                                          int status) {
  // The table's own final answer (481, 482) goes through a server transaction of its own, so
  // retransmissions of the request get it again and, for an INVITE, the ACK is absorbed
  // (§17.2.1). The TU never sees the request. It is kept out of the merge index.
  std::string bytes = sip::MessageBuilder::response_to(request, status, {}, random_hex()).serialize();
  Transaction& t = open_server(request, arrival, std::move(key));
  if (auto* invite = std::get_if<ServerInvite>(&t.machine)) {
    invite->respond(std::move(bytes), status);
  } else if (auto* other = std::get_if<ServerNonInvite>(&t.machine);
             other && other->respond(std::move(bytes), status)) {
    compact_if_completed(t, *other);
  }
}

}  // namespace osprey::txn
