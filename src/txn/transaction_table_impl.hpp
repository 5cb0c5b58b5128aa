#pragma once
// The inside of TransactionTable (transaction_table.hpp), shared by the files it is split into,
// one job each: transaction_table.cpp (slots, the machines' environment, the TU's responses),
// table_inbound.cpp (matching requests and responses from the network, §17.1.3, §17.2.3),
// table_client.cpp (the TU's requests and ACKs, §17.1, §18.1.1), table_cancel.cpp (CANCEL both
// ways, §9) and table_timers.cpp (the timer wheel's cookies and what fires). Private to txn/.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "txn/client_invite.hpp"
#include "txn/client_non_invite.hpp"
#include "txn/completed_responses.hpp"
#include "txn/server_invite.hpp"
#include "txn/server_non_invite.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::txn {

// RFC 3261 §18.1.1: a request larger than 1300 bytes (path MTU unknown) must use a congestion
// controlled transport.
inline constexpr std::size_t kUdpSizeLimit = 1300;

// Timer names as cookie fields: the RFC's (0..12) plus the table's own §9.1 CANCEL guard.
inline constexpr std::size_t kTimerSlots = 16;
inline constexpr std::uint8_t kCancelGuard = 15;
// Timer C (TimerSettings::timer_c) of a client INVITE: the table's, like the §9.1 guard, as it
// ends in a CANCEL, which is a transaction of its own.
inline constexpr std::uint8_t kTimerC = 14;
static_assert(static_cast<std::size_t>(TimerName::trying) < kTimerC);

// A timer cookie: bits 0-31 slot index, 32-35 timer name, 36 client side, 37-63 the low 27
// bits of the slot's generation. A timer is cancelled whenever it is restarted or its
// transaction freed, so a stale cookie should never fire; the generation check makes sure.
inline constexpr std::uint64_t kGenerationMask = (std::uint64_t{1} << 27) - 1;

inline std::uint64_t make_cookie(bool client, std::uint32_t index, std::uint32_t generation,
                                 std::uint8_t name) {
  return std::uint64_t{index} | (std::uint64_t{name} << 32) | (std::uint64_t{client ? 1u : 0u} << 36) |
         ((generation & kGenerationMask) << 37);
}

// Target::peer_flow as the transport's reuse rule (RFC 5923 §5, RFC 5626 §5.3).
inline net::ConnectionReuse reuse_for(const Target& target) {
  return target.peer_flow ? net::ConnectionReuse::peer_flow : net::ConnectionReuse::outbound_only;
}

class TransactionTable::Impl {
 public:
  Impl(net::Transport& transport, TransactionUser& user, TimerSettings settings, TimePoint now,
       TableCounters& counters)
      : transport_(transport),
        user_(user),
        settings_(settings),
        counters_(counters),
        wheel_(now, Milliseconds(10)),
        completed_(64 * settings.t1, std::random_device{}()),
        rng_(std::random_device{}()) {}

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
  std::string random_hex();

  TableOptions options_;

  net::Transport& transport_;
  TransactionUser& user_;
  TimerSettings settings_;
  TableCounters& counters_;
  TimerWheel wheel_;
  CompletedResponses completed_;  // non-INVITE server transactions in Completed over UDP
  std::mt19937_64 rng_;

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

// Small and on every path: inline, as when the table was one file.

inline TransactionTable::Impl::Transaction* TransactionTable::Impl::live(bool client, std::uint32_t index,
                                                                         std::uint32_t generation) {
  auto& slots = client ? client_slots_ : server_slots_;
  if (index >= slots.size()) return nullptr;
  Slot& slot = slots[index];
  if (slot.generation != generation || !slot.transaction || slot.transaction->ended) return nullptr;
  return slot.transaction.get();
}

inline TransactionTable::Impl::Transaction* TransactionTable::Impl::find(const KeyIndex& keys, bool client,
                                                                         const std::string& key) {
  if (key.empty()) return nullptr;
  auto it = keys.find(key);
  if (it == keys.end()) return nullptr;
  Transaction* t = (client ? client_slots_ : server_slots_)[it->second].transaction.get();
  return t != nullptr && !t->ended ? t : nullptr;
}

inline void TransactionTable::Impl::start_timer(Transaction& t, std::uint8_t name, Milliseconds duration) {
  stop_timer(t, name);
  t.timers[name] = wheel_.schedule(duration, make_cookie(t.client, t.index, t.generation, name));
}

inline void TransactionTable::Impl::stop_timer(Transaction& t, std::uint8_t name) {
  if (t.timers[name].valid()) wheel_.cancel(t.timers[name]);
  t.timers[name] = {};
}

}  // namespace osprey::txn
