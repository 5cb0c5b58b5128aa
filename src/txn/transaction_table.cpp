#include "txn/transaction_table.hpp"

#include <array>
#include <cstdio>
#include <type_traits>
#include <utility>
#include <variant>

#include "net/random_tags.hpp"
#include "sip/builder.hpp"
#include "txn/client_invite.hpp"
#include "txn/client_non_invite.hpp"
#include "txn/completed_responses.hpp"
#include "txn/server_invite.hpp"
#include "txn/server_non_invite.hpp"
#include "txn/transaction_key.hpp"

namespace osprey::txn {

namespace {

// RFC 3261 §18.1.1: a request larger than 1300 bytes (path MTU unknown) must use a congestion
// controlled transport.
constexpr std::size_t kUdpSizeLimit = 1300;

// Timer names as cookie fields: the RFC's (0..12) plus the table's own §9.1 CANCEL guard.
constexpr std::size_t kTimerSlots = 16;
constexpr std::uint8_t kCancelGuard = 15;
// Timer C (TimerSettings::timer_c) of a client INVITE: the table's, like the §9.1 guard, as it
// ends in a CANCEL, which is a transaction of its own.
constexpr std::uint8_t kTimerC = 14;
static_assert(static_cast<std::size_t>(TimerName::trying) < kTimerC);

// A timer cookie: bits 0-31 slot index, 32-35 timer name, 36 client side, 37-63 the low 27
// bits of the slot's generation. A timer is cancelled whenever it is restarted or its
// transaction freed, so a stale cookie should never fire; the generation check makes sure.
constexpr std::uint64_t kGenerationMask = (std::uint64_t{1} << 27) - 1;

std::uint64_t make_cookie(bool client, std::uint32_t index, std::uint32_t generation, std::uint8_t name) {
  return std::uint64_t{index} | (std::uint64_t{name} << 32) | (std::uint64_t{client ? 1u : 0u} << 36) |
         ((generation & kGenerationMask) << 37);
}

// Target::peer_flow as the transport's reuse rule (RFC 5923 §5, RFC 5626 §5.3).
net::ConnectionReuse reuse_for(const Target& target) {
  return target.peer_flow ? net::ConnectionReuse::peer_flow : net::ConnectionReuse::outbound_only;
}

}  // namespace

class TransactionTable::Impl {
 public:
  Impl(net::Transport& transport, TransactionUser& user, TimerSettings settings, TimePoint now,
       TableCounters& counters)
      : transport_(transport),
        user_(user),
        settings_(settings),
        counters_(counters),
        wheel_(now, Milliseconds(10)),
        completed_(64 * settings.t1, std::random_device{}()) {}

  void receive(sip::Message message, const net::Flow& flow);
  bool respond(ServerTransactionId id, const sip::Message& response);
  bool respond(ServerTransactionId id, std::string response, int status, std::string_view to_tag);
  bool abandon(ServerTransactionId id);
  std::optional<ClientTransactionId> send_request(sip::Message request, const Target& target);
  bool send_ack(sip::Message ack, const Target& target);
  std::optional<ClientTransactionId> send_cancel(ClientTransactionId invite);
  void on_connection_closed(net::ConnectionId connection);
  void advance(TimePoint now);

  void set_options(TableOptions options) { options_ = std::move(options); }
  // Completed non-INVITE transactions over UDP count as what they are: transactions in Timer J.
  std::size_t server_count() const { return server_keys_.size() + completed_.size(); }
  std::size_t client_count() const { return client_keys_.size(); }

 private:
  // Keys are views of the strings their transaction owns (Transaction::key, merge_key): a
  // transaction lives on the heap and leaves every index (end()) before it is destroyed, so the
  // views stay valid, and the tables hold no second copy of each key.
  using KeyIndex = std::unordered_map<std::string_view, std::uint32_t>;

  // One transaction: its state machine and the TransactionEnv that machine calls.
  struct Transaction final : TransactionEnv {
    Transaction(Impl& owner_in, bool client_in, std::uint32_t index_in, std::uint32_t generation_in)
        : owner(owner_in), client(client_in), index(index_in), generation(generation_in) {}

    bool send(std::string_view bytes) override { return owner.send(*this, bytes); }
    void start_timer(TimerName name, Milliseconds duration) override {
      owner.start_timer(*this, static_cast<std::uint8_t>(name), duration);
    }
    void stop_timer(TimerName name) override { owner.stop_timer(*this, static_cast<std::uint8_t>(name)); }
    void deliver_response(const sip::Message& response) override { owner.deliver_response(*this, response); }
    void timed_out() override { owner.timed_out(*this); }
    void transport_failed() override { owner.transport_failed(*this); }
    void deliver_ack(const sip::Message& ack) override { owner.deliver_ack(*this, ack); }
    void terminated() override { owner.end(*this); }

    ServerTransactionId server_id() const { return {index, generation}; }
    ClientTransactionId client_id() const { return {index, generation}; }

    Impl& owner;
    const bool client;
    const std::uint32_t index;
    const std::uint32_t generation;
    std::string key;
    std::optional<std::string> merge_key;  // server: the §8.2.2.2 index entry it owns
    // Where sends go. Server: response_flow() of the request. Client: what send_to returned for
    // the first send; retransmissions and the ACK for a failure use the same flow.
    std::optional<net::Flow> flow;
    net::Endpoint fallback;  // server streams, §18.2.2: source address, sent-by port
    Target target;           // client: where the first send goes
    bool ended = false;
    // Client: while the machine's start() runs, a transport failure is the caller's nullopt,
    // not an upcall.
    bool starting = false;
    bool start_failed = false;
    std::string to_tag;  // server INVITE: the TU's To tag, reused in the 200 to a CANCEL (§9.2)
    // Client INVITE: its CANCEL (§9.1). Client CANCEL held back until a provisional: its bytes.
    std::optional<ClientTransactionId> cancel;
    std::optional<ClientTransactionId> cancels;  // client CANCEL: its INVITE
    std::optional<std::string> held_cancel;
    std::array<TimerId, kTimerSlots> timers{};
    std::variant<std::monostate, ServerInvite, ServerNonInvite, ClientInvite, ClientNonInvite> machine;
  };

  struct Slot {
    std::uint32_t generation = 1;
    std::unique_ptr<Transaction> transaction;  // stable address: the machine holds a reference
  };

  // Public entry points run inside a Scope: transactions that end meanwhile are freed only when
  // the outermost one returns, so no machine or message is destroyed under a caller's feet
  // (the machines may call terminated() deep inside a TU upcall that re-entered the table).
  class Scope {
   public:
    explicit Scope(Impl& impl) : impl_(impl) { ++impl_.depth_; }
    ~Scope() {
      if (--impl_.depth_ == 0) impl_.release_ended();
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Impl& impl_;
  };

  // TransactionEnv, for one transaction.
  bool send(Transaction& t, std::string_view bytes);
  void start_timer(Transaction& t, std::uint8_t name, Milliseconds duration);
  void stop_timer(Transaction& t, std::uint8_t name);
  void deliver_response(Transaction& t, const sip::Message& response);
  void timed_out(Transaction& t);
  void transport_failed(Transaction& t);
  void deliver_ack(Transaction& t, const sip::Message& ack);
  void end(Transaction& t);

  void receive_request(sip::Message request, const net::Flow& flow);
  void receive_response(const sip::Message& response, const net::Flow& flow);
  void receive_cancel(sip::Message cancel, const net::Flow& flow, std::string key);
  Transaction& open_server(sip::Message& request, const net::Flow& arrival, std::string key);
  void answer_alone(sip::Message request, const net::Flow& arrival, std::string key, int status);
  // `invite`: the INVITE as sent (its machine builds the ACK and CANCEL from it); nullopt for
  // any other method, whose machine needs only the bytes.
  void start_client(Transaction& t, std::optional<sip::Message> invite, std::string bytes);
  void start_cancel(Transaction& cancel);
  // Ends a non-INVITE server transaction that has just entered Completed over UDP, keeping only
  // its key and final response for Timer J (CompletedResponses).
  void compact_if_completed(Transaction& t, ServerNonInvite& machine);
  void fire(std::uint64_t cookie);

  Transaction& allocate(bool client);
  void release_ended();
  Transaction* live(bool client, std::uint32_t index, std::uint32_t generation);
  Transaction* find(const KeyIndex& keys, bool client, const std::string& key);

  struct Prepared {
    std::string bytes;
    Target target;
    std::string branch;  // of the Via prepended
  };
  std::optional<Prepared> prepare(sip::Message& request, Target target);

  TableOptions options_;

  net::Transport& transport_;
  TransactionUser& user_;
  TimerSettings settings_;
  TableCounters& counters_;
  TimerWheel wheel_;
  CompletedResponses completed_;  // non-INVITE server transactions in Completed over UDP
  net::RandomTags random_;        // To tags of our own responses, branches of our requests

  std::vector<Slot> server_slots_;
  std::vector<Slot> client_slots_;
  std::vector<std::uint32_t> server_free_;
  std::vector<std::uint32_t> client_free_;
  KeyIndex server_keys_;  // server_key -> slot
  KeyIndex client_keys_;  // client_key -> slot
  KeyIndex merge_keys_;   // merge_key -> slot of the server transaction that owns it
  // Points `key` (a view of a string `t` owns) at t's slot, replacing any older entry together
  // with its view.
  static void index(KeyIndex& keys, std::string_view key, std::uint32_t slot) {
    auto [it, inserted] = keys.try_emplace(key, slot);
    if (inserted) return;  // the usual case: one hash walk
    keys.erase(it);
    keys.emplace(key, slot);
  }
  std::vector<Transaction*> ended_;
  int depth_ = 0;
  const net::Flow* receiving_flow_ = nullptr;  // during receive(): where the message came from
};

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

TransactionTable::Impl::Transaction* TransactionTable::Impl::live(bool client, std::uint32_t index,
                                                                  std::uint32_t generation) {
  auto& slots = client ? client_slots_ : server_slots_;
  if (index >= slots.size()) return nullptr;
  Slot& slot = slots[index];
  if (slot.generation != generation || !slot.transaction || slot.transaction->ended) return nullptr;
  return slot.transaction.get();
}

TransactionTable::Impl::Transaction* TransactionTable::Impl::find(const KeyIndex& keys, bool client,
                                                                  const std::string& key) {
  if (key.empty()) return nullptr;
  auto it = keys.find(key);
  if (it == keys.end()) return nullptr;
  Transaction* t = (client ? client_slots_ : server_slots_)[it->second].transaction.get();
  return t != nullptr && !t->ended ? t : nullptr;
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

void TransactionTable::Impl::start_timer(Transaction& t, std::uint8_t name, Milliseconds duration) {
  stop_timer(t, name);
  t.timers[name] = wheel_.schedule(duration, make_cookie(t.client, t.index, t.generation, name));
}

void TransactionTable::Impl::stop_timer(Transaction& t, std::uint8_t name) {
  if (t.timers[name].valid()) wheel_.cancel(t.timers[name]);
  t.timers[name] = {};
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
// Inbound

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

void TransactionTable::Impl::receive_cancel(sip::Message cancel, const net::Flow& flow, std::string key) {
  // §9.2: the CANCEL's own key with method INVITE finds the transaction to cancel.
  Transaction* invite_transaction = find(server_keys_, false, invite_key_for_cancel(cancel));
  auto* invite =
      invite_transaction != nullptr ? std::get_if<ServerInvite>(&invite_transaction->machine) : nullptr;
  if (invite == nullptr) {
    // Another worker may hold the INVITE (the CANCEL came from another source port, or on
    // another connection): the TU passes it on.
    if (user_.on_unmatched_cancel(cancel, flow)) return;
    if (options_.forward_unmatched_cancels) {
      // §16.10: no response context; the TU judges and forwards it as a request of its own.
      Transaction& t = open_server(cancel, flow, std::move(key));
      user_.on_request(t.server_id(), cancel, flow);
      return;
    }
    // §9.2: "the UAS SHOULD respond to the CANCEL with a 481".
    ++counters_.cancels_unmatched;
    answer_alone(std::move(cancel), flow, std::move(key), 481);
    return;
  }
  // §9.2: the CANCEL gets its 200 in any case; only an INVITE without a final response yet is
  // the TU's to cancel. The CANCEL's own server transaction absorbs its retransmissions.
  const bool pending = invite->state() == ServerInvite::State::proceeding;
  const ServerTransactionId invite_id = invite_transaction->server_id();
  // §9.2: the To tag of the 200 SHOULD equal the one of the INVITE's responses.
  std::string tag = invite_transaction->to_tag.empty() ? random_.tag() : invite_transaction->to_tag;
  std::string ok = sip::MessageBuilder::response_to(cancel, 200, {}, tag).serialize();
  Transaction& t = open_server(cancel, flow, std::move(key));
  if (auto* machine = std::get_if<ServerNonInvite>(&t.machine);
      machine && machine->respond(std::move(ok), 200)) {
    compact_if_completed(t, *machine);
  }
  if (pending && live(false, invite_id.index, invite_id.generation) != nullptr)
    user_.on_cancel(invite_id, cancel);
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
  std::string bytes = sip::MessageBuilder::response_to(request, status, {}, random_.tag()).serialize();
  Transaction& t = open_server(request, arrival, std::move(key));
  if (auto* invite = std::get_if<ServerInvite>(&t.machine)) {
    invite->respond(std::move(bytes), status);
  } else if (auto* other = std::get_if<ServerNonInvite>(&t.machine);
             other && other->respond(std::move(bytes), status)) {
    compact_if_completed(t, *other);
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

std::optional<TransactionTable::Impl::Prepared> TransactionTable::Impl::prepare(sip::Message& request,
                                                                                Target target) {
  auto sent_by = transport_.sent_by(target.protocol, target.destination);
  if (!sent_by) return std::nullopt;
  // §8.1.1.7: a branch unique across space and time, starting with the magic cookie. §18.1.1:
  // the Via names the transport and the address where responses are expected; RFC 3581 §3:
  // rport asks for them at the source port, which gets through NATs.
  const std::string branch = std::string(sip::kMagicCookie) + options_.branch_prefix + random_.hex(16);
  const auto via = [&branch](net::Protocol protocol, const net::Endpoint& at) {
    return "SIP/2.0/" + std::string(net::via_token(protocol)) + " " + net::to_string(at) +
           ";branch=" + branch + ";rport";
  };
  request.prepend_via(via(target.protocol, *sent_by));
  std::string bytes = request.serialize();
  if (target.protocol == net::Protocol::udp && !target.keep_udp && bytes.size() > kUdpSizeLimit) {
    // §18.1.1: larger than 1300 bytes with the path MTU unknown: TCP, if osprey listens on it
    // for this address family; otherwise UDP is all there is.
    if (auto tcp = transport_.sent_by(net::Protocol::tcp, target.destination)) {
      request.remove_first_element(sip::HeaderId::via);
      target.protocol = net::Protocol::tcp;
      target.peer_flow = false;  // osprey's own choice of transport: no peer's connection
      request.prepend_via(via(target.protocol, *tcp));
      bytes = request.serialize();
    }
  }
  return Prepared{std::move(bytes), std::move(target), branch};
}

void TransactionTable::Impl::start_client(Transaction& t, std::optional<sip::Message> invite,
                                          std::string bytes) {
  const TransportKind kind =
      net::is_reliable(t.target.protocol) ? TransportKind::reliable : TransportKind::unreliable;
  t.starting = true;
  if (invite) {
    t.machine.emplace<ClientInvite>(t, settings_, std::move(*invite)).start(kind);
  } else {
    t.machine.emplace<ClientNonInvite>(t, settings_).start(std::move(bytes), kind);
  }
  t.starting = false;
}

std::optional<ClientTransactionId> TransactionTable::Impl::send_request(sip::Message request,
                                                                        const Target& target) {
  Scope scope(*this);
  if (!request.is_request() || request.method() == sip::Method::ack) return std::nullopt;
  auto prepared = prepare(request, target);
  if (!prepared) return std::nullopt;
  std::optional<sip::Message> invite;
  std::string key;
  if (request.method() == sip::Method::invite) {
    // The INVITE machine needs the message as it goes on the wire (our Via on top), and the
    // parsed fields of an edited Message describe it as it was: parse the bytes once.
    auto sent = request.reparsed();
    if (!sent) return std::nullopt;
    key = client_key(*sent);
    invite = std::move(*sent);
  } else {
    // The others keep only bytes, and their key is the branch just made and the CSeq method,
    // which no edit changes: no second parse (it cost as much as the forwarding, callgrind).
    if (!request.cseq()) return std::nullopt;
    key = client_key(prepared->branch, request.cseq()->method_text);
  }
  // A 64-bit random branch repeating while the first is alive is not going to happen; should it,
  // the new request must not take over the old one's responses.
  if (key.empty() || client_keys_.count(key) != 0) return std::nullopt;

  Transaction& t = allocate(true);
  t.key = std::move(key);
  t.target = std::move(prepared->target);
  index(client_keys_, t.key, t.index);
  start_client(t, std::move(invite), std::move(prepared->bytes));
  // A failed first send already ended the machine; it is freed when this call returns.
  if (t.start_failed) return std::nullopt;
  if (settings_.timer_c.count() > 0 && std::holds_alternative<ClientInvite>(t.machine)) {
    start_timer(t, kTimerC, settings_.timer_c);  // §16.6 step 11
  }
  return t.client_id();
}

bool TransactionTable::Impl::send_ack(sip::Message ack, const Target& target) {
  Scope scope(*this);
  if (!ack.is_request() || ack.method() != sip::Method::ack) return false;
  auto prepared = prepare(ack, target);
  if (!prepared) return false;
  const Target& to = prepared->target;
  return transport_.send_to(to.protocol, to.destination, prepared->bytes, to.server_name, reuse_for(to))
      .has_value();
}

std::optional<ClientTransactionId> TransactionTable::Impl::send_cancel(ClientTransactionId invite_id) {
  Scope scope(*this);
  Transaction* invite_transaction = live(true, invite_id.index, invite_id.generation);
  if (invite_transaction == nullptr) return std::nullopt;
  auto* machine = std::get_if<ClientInvite>(&invite_transaction->machine);
  if (machine == nullptr) return std::nullopt;
  const auto state = machine->state();
  if (state != ClientInvite::State::calling && state != ClientInvite::State::proceeding) return std::nullopt;
  if (invite_transaction->cancel) {
    if (live(true, invite_transaction->cancel->index, invite_transaction->cancel->generation) != nullptr) {
      return invite_transaction->cancel;
    }
    return std::nullopt;  // sent once, and over: a CANCEL has no second chance (§9.1)
  }

  // §9.1: Request-URI, Call-ID, To, From and the CSeq number of the INVITE; one Via, the
  // INVITE's top one (its branch lets the next hop match the CANCEL to the INVITE, §9.2); the
  // INVITE's Route values; CSeq method CANCEL.
  if (machine->invite() == nullptr) return std::nullopt;  // not in Calling or Proceeding
  const sip::Message& invite = *machine->invite();
  sip::MessageBuilder builder = sip::MessageBuilder::request("CANCEL", invite.request_uri().text);
  if (invite.top_via()) builder.header(sip::HeaderId::via, invite.top_via()->text);
  invite.for_each_line(sip::HeaderId::route, [&](std::string_view value) {
    builder.header(sip::HeaderId::route, value);
    return true;
  });
  builder.header(sip::HeaderId::max_forwards, "70");
  if (auto from = invite.first_value(sip::HeaderId::from)) builder.header(sip::HeaderId::from, *from);
  if (auto to = invite.first_value(sip::HeaderId::to)) builder.header(sip::HeaderId::to, *to);
  if (invite.call_id()) builder.header(sip::HeaderId::call_id, *invite.call_id());
  if (invite.cseq()) builder.header(sip::HeaderId::cseq, std::to_string(invite.cseq()->number) + " CANCEL");
  std::string bytes = std::move(builder).serialize();
  auto parsed = sip::Message::parse(bytes);
  if (!parsed) return std::nullopt;
  std::string key = client_key(*parsed);
  if (key.empty() || client_keys_.count(key) != 0) return std::nullopt;

  Transaction& t = allocate(true);
  t.key = std::move(key);
  // §9.1: the CANCEL goes where the INVITE went: same destination, same connection.
  t.target = invite_transaction->target;
  t.flow = invite_transaction->flow;
  t.held_cancel = std::move(bytes);
  t.cancels = invite_id;
  index(client_keys_, t.key, t.index);
  invite_transaction->cancel = t.client_id();
  const ClientTransactionId id = t.client_id();
  if (state == ClientInvite::State::proceeding) {
    t.starting = true;
    start_cancel(t);
    t.starting = false;
    if (t.start_failed) return std::nullopt;
  }
  // Calling: §9.1 says wait for a provisional response; deliver_response starts it then.
  return id;
}

void TransactionTable::Impl::start_cancel(Transaction& cancel) {
  std::string bytes = std::move(*cancel.held_cancel);
  cancel.held_cancel.reset();
  const TransportKind kind =
      net::is_reliable(cancel.target.protocol) ? TransportKind::reliable : TransportKind::unreliable;
  cancel.machine.emplace<ClientNonInvite>(cancel, settings_).start(std::move(bytes), kind);
  // §9.1: if the INVITE has no final response 64*T1 after the CANCEL, it is considered
  // cancelled: Timer B no longer runs in Proceeding, so without this guard a silent peer
  // would keep the transaction forever.
  if (cancel.cancels) {
    if (Transaction* invite = live(true, cancel.cancels->index, cancel.cancels->generation)) {
      start_timer(*invite, kCancelGuard, 64 * settings_.t1);
    }
  }
}

void TransactionTable::Impl::on_connection_closed(net::ConnectionId connection) {
  Scope scope(*this);
  if (connection == 0) return;  // UDP has no connection to lose
  // A linear pass: connections close far less often than messages arrive, and a per-connection
  // index would have to follow every flow change.
  std::vector<Transaction*> affected;
  for (Slot& slot : client_slots_) {
    Transaction* t = slot.transaction.get();
    if (t != nullptr && !t->ended && t->flow && t->flow->connection == connection) affected.push_back(t);
  }
  // Pointers stay valid: nothing is freed before this Scope closes.
  for (Transaction* t : affected) {
    if (t->ended) continue;
    if (t->held_cancel) {
      end(*t);  // never sent; its INVITE fails on the same connection and is reported
    } else if (auto* invite = std::get_if<ClientInvite>(&t->machine)) {
      invite->on_transport_error();
    } else if (auto* other = std::get_if<ClientNonInvite>(&t->machine)) {
      other->on_transport_error();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Timers

void TransactionTable::Impl::advance(TimePoint now) {
  Scope scope(*this);
  wheel_.advance(now, [this](std::uint64_t cookie) { fire(cookie); });
  completed_.expire(wheel_.now());
}

void TransactionTable::Impl::fire(std::uint64_t cookie) {
  const auto index = static_cast<std::uint32_t>(cookie & 0xffffffffu);
  const auto name = static_cast<std::uint8_t>((cookie >> 32) & 0xfu);
  const bool client = ((cookie >> 36) & 1u) != 0;
  const std::uint64_t generation = cookie >> 37;
  auto& slots = client ? client_slots_ : server_slots_;
  if (index >= slots.size()) return;
  Transaction* t = slots[index].transaction.get();
  if (t == nullptr || t->ended || (t->generation & kGenerationMask) != generation) return;
  t->timers[name] = {};
  if (name == kTimerC) {
    // §16.8: with a provisional response, the branch is CANCELled (and the §9.1 guard bounds the
    // wait for its final response); without one, Timer B has already ended it as a 408.
    if (auto* invite = std::get_if<ClientInvite>(&t->machine);
        invite != nullptr && invite->state() == ClientInvite::State::proceeding) {
      (void)send_cancel(t->client_id());
    }
    return;
  }
  if (name == kCancelGuard) {
    // §9.1: no final response 64*T1 after the CANCEL: the INVITE is considered cancelled. The
    // TU hears it as a timeout, like Timer B.
    if (auto* invite = std::get_if<ClientInvite>(&t->machine);
        invite != nullptr && (invite->state() == ClientInvite::State::calling ||
                              invite->state() == ClientInvite::State::proceeding)) {
      const ClientTransactionId id = t->client_id();
      end(*t);
      user_.on_client_failure(id, 408);
    }
    return;
  }
  std::visit(
      [name](auto& machine) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(machine)>, std::monostate>) {
          machine.on_timer(static_cast<TimerName>(name));
        }
      },
      t->machine);
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
