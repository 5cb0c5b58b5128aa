// TransactionTable: the slots that own the transactions, the environment their machines run in
// (TransactionEnv), and the TU's responses to server transactions. The rest of the table, one
// job per file: transaction_table_impl.hpp.
#include "txn/transaction_table_impl.hpp"

namespace osprey::txn {

// ---------------------------------------------------------------------------------------------
// Slots

TransactionTable::Impl::Transaction& TransactionTable::Impl::allocate(bool client) {
  auto& slots = client ? client_slots_ : server_slots_;
  auto& free = client ? client_free_ : server_free_;
  std::uint32_t index;
  if (!free.empty()) {
    index = free.back();
    free.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots.size());
    slots.emplace_back();
  }
  Slot& slot = slots[index];
  slot.transaction = std::make_unique<Transaction>(*this, client, index, slot.generation);
  return *slot.transaction;
}

void TransactionTable::Impl::end(Transaction& t) {
  if (t.ended) return;
  t.ended = true;
  // Out of the indexes at once, so a new request or response no longer finds it; the object
  // itself lives until the outermost entry point returns (Scope).
  auto& keys = t.client ? client_keys_ : server_keys_;
  if (auto it = keys.find(t.key); it != keys.end() && it->second == t.index) keys.erase(it);
  if (t.merge_key) {
    if (auto it = merge_keys_.find(*t.merge_key); it != merge_keys_.end() && it->second == t.index) {
      merge_keys_.erase(it);
    }
  }
  for (TimerId& timer : t.timers) {
    if (timer.valid()) wheel_.cancel(timer);
    timer = {};
  }
  ended_.push_back(&t);
  // §9.1: a CANCEL still held back has nothing left to cancel once its INVITE is over.
  if (t.cancel) {
    if (Transaction* cancel = live(true, t.cancel->index, t.cancel->generation);
        cancel && cancel->held_cancel) {
      end(*cancel);
    }
  }
}

void TransactionTable::Impl::release_ended() {
  while (!ended_.empty()) {
    Transaction* t = ended_.back();
    ended_.pop_back();
    auto& slots = t->client ? client_slots_ : server_slots_;
    auto& free = t->client ? client_free_ : server_free_;
    std::uint32_t index = t->index;
    slots[index].transaction.reset();
    ++slots[index].generation;  // every handle to the old transaction is now stale
    free.push_back(index);
  }
}

// ---------------------------------------------------------------------------------------------
// TransactionEnv

bool TransactionTable::Impl::send(Transaction& t, std::string_view bytes) {
  if (t.client) {
    if (!t.flow) {
      // The first send of a client transaction picks the socket or connection (§18.1.1); the
      // rest of the transaction stays on it.
      t.flow = transport_.send_to(t.target.protocol, t.target.destination, bytes, t.target.server_name,
                                  reuse_for(t.target));
      return t.flow.has_value();
    }
    return transport_.send(*t.flow, bytes);
  }
  if (!t.flow) return false;
  if (transport_.send(*t.flow, bytes)) return true;
  // §18.2.2: the connection the request came on is gone: open a new one to the `received`
  // address (the source) and the sent-by port, and keep using it for this transaction. A
  // response: any open connection to that address and port may carry it.
  if (!net::is_reliable(t.flow->protocol)) return false;
  auto flow = transport_.send_to(t.flow->protocol, t.fallback, bytes, {}, net::ConnectionReuse::peer_flow);
  if (!flow) return false;
  t.flow = *flow;
  return true;
}

void TransactionTable::Impl::deliver_response(Transaction& t, const sip::Message& response) {
  if (!t.client) return;
  int status = response.status();
  if (settings_.timer_c.count() > 0 && std::holds_alternative<ClientInvite>(t.machine)) {
    // §16.7 step 2: each provisional but 100 restarts Timer C (a next hop that only ever says
    // Trying must not hold the branch forever); a final response ends it.
    if (status > 100 && status < 200) {
      start_timer(t, kTimerC, settings_.timer_c);
    } else if (status >= 200) {
      stop_timer(t, kTimerC);
    }
  }
  if (t.cancel) {
    Transaction* cancel = live(true, t.cancel->index, t.cancel->generation);
    if (status < 200) {
      // §9.1: the CANCEL waited for a provisional; it can go now.
      if (cancel && cancel->held_cancel) start_cancel(*cancel);
    } else {
      // The INVITE has its final response: nothing to cancel any more, and no §9.1 guard.
      if (cancel && cancel->held_cancel) end(*cancel);
      stop_timer(t, kCancelGuard);
    }
  }
  user_.on_response(t.client_id(), response);
}

void TransactionTable::Impl::timed_out(Transaction& t) {
  // §17.1.1.2, §17.1.2.2: Timer B / F: the TU acts as if it got 408. A server INVITE's Timer H
  // (§17.2.1) has no one above to tell.
  if (t.client) user_.on_client_failure(t.client_id(), 408);
}

void TransactionTable::Impl::transport_failed(Transaction& t) {
  if (!t.client) return;  // §17.2.4: nothing the TU can do about an undeliverable response
  if (t.starting) {
    t.start_failed = true;  // send_request / send_cancel return nullopt instead
    return;
  }
  user_.on_client_failure(t.client_id(), 503);  // §17.1.4, §8.1.3.1
}

void TransactionTable::Impl::deliver_ack(Transaction& t, const sip::Message& ack) {
  // RFC 6026 §7.1: an ACK for a 2xx that matched an Accepted INVITE transaction (RFC 2543
  // matching, where ACK and INVITE share the key) is the TU's.
  if (receiving_flow_ != nullptr) {
    user_.on_ack(ack, *receiving_flow_);
  } else if (t.flow) {
    user_.on_ack(ack, *t.flow);
  }
}

// ---------------------------------------------------------------------------------------------
// TU calls

bool TransactionTable::Impl::respond(ServerTransactionId id, const sip::Message& response) {
  if (!response.is_response()) return false;
  return respond(id, response.serialize(), response.status(),
                 response.to() ? response.to()->tag() : std::string_view{});
}

bool TransactionTable::Impl::respond(ServerTransactionId id, std::string response, int status,
                                     std::string_view to_tag) {
  Scope scope(*this);
  Transaction* t = live(false, id.index, id.generation);
  if (t == nullptr || status < 100 || status > 699) return false;
  if (auto* invite = std::get_if<ServerInvite>(&t->machine)) {
    if (t->to_tag.empty()) t->to_tag = std::string(to_tag);
    return invite->respond(std::move(response), status);
  }
  if (auto* other = std::get_if<ServerNonInvite>(&t->machine)) {
    if (!other->respond(std::move(response), status)) return false;
    compact_if_completed(*t, *other);
    return true;
  }
  return false;
}

bool TransactionTable::Impl::abandon(ServerTransactionId id) {
  Scope scope(*this);
  Transaction* t = live(false, id.index, id.generation);
  if (t == nullptr) return false;
  auto* machine = std::get_if<ServerNonInvite>(&t->machine);
  if (machine == nullptr || (machine->state() != ServerNonInvite::State::trying &&
                             machine->state() != ServerNonInvite::State::proceeding)) {
    return false;
  }
  machine->abandon();  // not compacted: CompletedResponses would answer its retransmissions
  return true;
}

void TransactionTable::Impl::compact_if_completed(Transaction& t, ServerNonInvite& machine) {
  // Only what CompletedResponses can stand in for: UDP (a reliable transport ends at once), and
  // not a transaction that owns a §8.2.2.2 merge key (UAs' tables, which see few requests).
  if (t.ended || machine.state() != ServerNonInvite::State::completed || t.merge_key || !t.flow ||
      net::is_reliable(t.flow->protocol)) {
    return;
  }
  std::string response = machine.take_last_response();
  end(t);  // out of the index under its key, Timer J cancelled; freed when the Scope closes
  completed_.add(t.key, response, *t.flow, wheel_.now());
}

// ---------------------------------------------------------------------------------------------
// TransactionTable

TransactionTable::TransactionTable(net::Transport& transport, TransactionUser& user, TimerSettings settings,
                                   TimePoint now)
    : impl_(std::make_unique<Impl>(transport, user, settings, now, counters_)) {}

TransactionTable::~TransactionTable() = default;

void TransactionTable::receive(sip::Message message, const net::Flow& flow) {
  impl_->receive(std::move(message), flow);
}
bool TransactionTable::respond(ServerTransactionId transaction, const sip::Message& response) {
  return impl_->respond(transaction, response);
}

bool TransactionTable::respond(ServerTransactionId transaction, std::string response, int status,
                               std::string_view to_tag) {
  return impl_->respond(transaction, std::move(response), status, to_tag);
}
bool TransactionTable::abandon(ServerTransactionId transaction) { return impl_->abandon(transaction); }
std::optional<ClientTransactionId> TransactionTable::send_request(sip::Message request,
                                                                  const Target& target) {
  return impl_->send_request(std::move(request), target);
}
bool TransactionTable::send_ack(sip::Message ack, const Target& target) {
  return impl_->send_ack(std::move(ack), target);
}
std::optional<ClientTransactionId> TransactionTable::send_cancel(ClientTransactionId invite) {
  return impl_->send_cancel(invite);
}
void TransactionTable::on_connection_closed(net::ConnectionId connection) {
  impl_->on_connection_closed(connection);
}
void TransactionTable::advance(TimePoint now) { impl_->advance(now); }
void TransactionTable::set_options(TableOptions options) { impl_->set_options(std::move(options)); }

std::size_t TransactionTable::server_count() const { return impl_->server_count(); }
std::size_t TransactionTable::client_count() const { return impl_->client_count(); }

}  // namespace osprey::txn
