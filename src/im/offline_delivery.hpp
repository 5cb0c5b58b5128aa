#pragma once
// Delivery of stored MESSAGEs when their user is reachable again: "delivered in the
// order they arrived, each as a new MESSAGE ... deleted only after a 2xx for it; failures are
// retried with back-off; a message is never delivered twice after its 2xx".
//
// One per worker; everything runs on the worker's thread (the transaction table is single-
// threaded): store callbacks, which come from the store's writer thread, are posted back first.
// A run for one AOR:
//   claim the AOR (DeliveryClaims: one run per AOR across all workers, so order holds)
//   -> fetch up to `batch` messages in id order (= arrival order)
//   -> send the first to every binding in parallel (RFC 3428 §4: a MESSAGE forks like any
//      request), each where registrar::binding_hops says; a hop's resolved addresses are tried
//      in turn (RFC 3263 §4.3: after a transport error, a timeout or a 503; those that failed a
//      moment ago last, net/destination_blocklist.hpp), and a hop none of whose addresses
//      answered at all passes the branch to the binding's next hop (its Contact after its own
//      connection). The first 2xx removes it from the store and
//      sends the next one. A later 2xx of
//      the same message (another device) is ignored: no second removal, no second send.
//      Non-INVITE branches are never cancelled (RFC 3261 §9.1: CANCEL is for INVITE).
//   -> every branch failed (non-2xx final, timeout, transport error): the run pauses and retries
//      the same message after a back-off (first_retry, doubling to max_retry), with the bindings
//      the location store has then; none left: the run ends until the next REGISTER.
//   -> the store has nothing more: the run ends and the claim is released.
// One message at a time keeps the order; parallel branches keep it quick to reach any device.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "im/delivery_claims.hpp"
#include "im/message_rules.hpp"
#include "net/destination_blocklist.hpp"
#include "net/target_resolver.hpp"
#include "registrar/binding_hop.hpp"
#include "sip/message.hpp"
#include "store/binding.hpp"
#include "store/location_store.hpp"
#include "store/message_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::im {

struct DeliverySettings {
  std::size_t batch = 100;  // messages fetched from the store at a time
  std::chrono::milliseconds first_retry{5000};
  std::chrono::milliseconds max_retry{300'000};
  // Attempts (each over every binding, with the back-off between them) after which a message
  // that only ever failed transiently is set aside for the rest of the run, so the messages
  // behind it go (offline_delivery.cpp, set_aside).
  std::uint32_t attempts_before_set_aside = 3;
};

// What the worker tells delivery about where a stored MESSAGE may go.
struct DeliveryRouting {
  // Whether a binding's stream connection is still open (registrar/binding_hop.hpp).
  registrar::ConnectionOpen connection_open;
  // True for an address no stored MESSAGE is sent to: osprey itself, or the gateway (whose
  // address only what access control judged may reach; a Contact is whatever its UA wrote).
  std::function<bool(const net::Endpoint&)> refused;
  // Destinations that failed a moment ago (tried last), told of every failure; null: none.
  net::DestinationBlocklist* blocklist = nullptr;
};

struct DeliveryCounters {
  std::uint64_t runs = 0;             // delivery runs started (AOR claimed)
  std::uint64_t sent = 0;             // MESSAGE client transactions started
  std::uint64_t delivered = 0;        // messages that got their 2xx (and were removed)
  std::uint64_t failures = 0;         // attempts where every branch failed
  std::uint64_t retries = 0;          // attempts started by the back-off timer
  std::uint64_t refused = 0;          // messages every device refused for good (4xx/6xx): dropped
  std::uint64_t remove_failures = 0;  // removals after a 2xx whose write failed (the log must say)
  std::uint64_t set_aside = 0;        // messages skipped for the rest of a run (still stored)
};

// A stored message dropped because every device refused it for good (RFC 3261 §21: a 4xx or
// 6xx that is not 408/480/486/491): its sender got 202 long ago, so the drop must be told to
// the operator rather than happen silently. A transient failure keeps the message and retries.
struct DeliveryRefusal {
  std::uint64_t id = 0;
  std::string_view aor;
  int status = 0;  // the last refusal received
};

// A message set aside after failing on every flow of the user, attempt after attempt (e.g. too
// large for UDP toward a UA with no stream flow): still stored, tried again in the next run.
struct DeliverySetAside {
  std::uint64_t id = 0;
  std::string_view aor;
  std::uint32_t attempts = 0;
};

class OfflineDelivery {
 public:
  using RefusalReport = std::function<void(const DeliveryRefusal&)>;
  using SetAsideReport = std::function<void(const DeliverySetAside&)>;
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch (binding expiry)
  // Resolves a next-hop URI (TargetResolver::resolve); the callback runs on the worker.
  using Resolve = std::function<void(const sip::Uri&, net::ResolveCallback)>;
  using NewCallId = std::function<std::string()>;

  OfflineDelivery(boost::asio::io_context& io_context, txn::TransactionTable& table,
                  store::MessageStore& messages, store::LocationStore& location, DeliveryClaims& claims,
                  Clock clock, Resolve resolve, NewCallId new_call_id, DeliverySettings settings = {},
                  DeliveryRouting routing = {});
  ~OfflineDelivery();
  OfflineDelivery(const OfflineDelivery&) = delete;
  OfflineDelivery& operator=(const OfflineDelivery&) = delete;

  // The registrar calls it after a successful REGISTER that leaves `aor` with live `bindings`.
  // Messages are stored by the AOR they were sent to, and only for sip: AORs (a sips: request is
  // never stored: its sender asked for TLS on every hop, which a stored copy cannot promise), so
  // they follow a REGISTER of that sip: AOR: a user who registers her sips: AOR only gets them
  // when she registers the sip: one too. The sip: and sips: AORs are two (RFC 3261 §19.1.4), and
  // a live MESSAGE to sip:alice does not reach her sips: bindings either; delivering the stored
  // ones there would let a stored message overtake what live routing refuses.
  // Cheap when nothing is stored (one hash lookup). Starts a run unless one is under way (here or
  // on another worker); a run of this worker waiting for its back-off retries now, with these
  // bindings, since the user just proved reachable.
  void user_reachable(std::string_view aor, const std::vector<store::Binding>& bindings);

  // From the worker's TransactionUser: true when the client transaction was one of ours.
  bool on_response(txn::ClientTransactionId transaction, const sip::Message& response);
  bool on_client_failure(txn::ClientTransactionId transaction, int status);

  // Called on the worker for each message dropped after a definitive refusal (the server logs it).
  void set_refusal_report(RefusalReport report) { refusal_report_ = std::move(report); }
  // Called on the worker for each message set aside (the server logs it).
  void set_set_aside_report(SetAsideReport report) { set_aside_report_ = std::move(report); }

  const DeliveryCounters& counters() const { return counters_; }
  std::size_t active_runs() const { return runs_.size(); }

 private:
  struct Run;
  struct BranchRef {
    std::string aor;
    std::uint64_t attempt = 0;
    DeliveryAddress address;
    std::vector<std::string> hops;  // the binding's hops after the one this branch went to
    // RFC 3263 §4.3: the addresses of this hop not tried yet, where it went, and their TLS name.
    std::vector<net::ResolvedHop> addresses;
    txn::Target sent_to;
    bool own_flow = false;
  };

  static constexpr std::size_t kMaxAddressesPerHop = 8;  // of one resolved hop, tried in turn
  static std::uint64_t key_of(txn::ClientTransactionId id) {
    return (static_cast<std::uint64_t>(id.index) << 32) | id.generation;
  }
  Run* find(std::string_view aor);
  void fetch(Run& run);
  void on_fetched(const std::string& aor, std::vector<store::StoredMessage> messages);
  void send_current(Run& run);
  // Resolves hops.front() and sends the front message there. `own_flow`: hops.front() is the
  // binding's own REGISTER connection (registrar::BindingHops::first_is_own_flow), which alone may go
  // over a connection the device opened (txn::Target::peer_flow).
  void send_to_hop(const std::string& aor, std::uint64_t attempt, DeliveryAddress address,
                   std::vector<std::string> hops, bool own_flow);
  void send_branch(const std::string& aor, std::uint64_t attempt, DeliveryAddress address,
                   std::vector<std::string> hops, bool own_flow,
                   const tl::expected<net::ResolvedTarget, std::string>& resolved);
  // Sends the front message to the first of `addresses` (resolved for hops.front()) osprey may
  // send to; the rest wait in the branch for its failure. None: hop_failed.
  void send_to_address(const std::string& aor, std::uint64_t attempt, DeliveryAddress address,
                       std::vector<std::string> hops, bool own_flow, std::vector<net::ResolvedHop> addresses,
                       const std::string& server_name);
  // hops.front() reached nobody: the next hop of the same binding, or the branch failed
  // (`transient`: as branch_failed).
  void hop_failed(const std::string& aor, std::uint64_t attempt, DeliveryAddress address,
                  std::vector<std::string> hops, bool transient = true);
  // `transient`: the failure may pass (timeout, transport error, 408/480/486/5xx); when no
  // branch of the attempt failed so, the message is refused for good and dropped.
  // `status`: the final response of a refusal (0 for failures without one).
  void branch_failed(Run& run, bool transient = true, int status = 0);
  void delivered(Run& run);
  // The front message is done with (delivered or refused): removed, the next one sent.
  void finish_front(Run& run);
  // The front message failed attempts_before_set_aside times: skipped for the rest of the run.
  void set_aside(Run& run);
  void schedule_retry(Run& run);
  void retry(const std::string& aor);
  void end_run(const std::string& aor);

  boost::asio::io_context& io_context_;
  txn::TransactionTable& table_;
  store::MessageStore& messages_;
  store::LocationStore& location_;
  DeliveryClaims& claims_;
  Clock clock_;
  Resolve resolve_;
  NewCallId new_call_id_;
  DeliverySettings settings_;
  DeliveryRouting routing_;
  std::unordered_map<std::string, std::unique_ptr<Run>> runs_;
  std::unordered_map<std::uint64_t, BranchRef> branches_;  // by client transaction
  std::uint64_t next_attempt_ = 0;
  DeliveryCounters counters_;
  RefusalReport refusal_report_;
  SetAsideReport set_aside_report_;
  // Posted store callbacks, resolver callbacks and timers check it: they may outlive this object.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace osprey::im
