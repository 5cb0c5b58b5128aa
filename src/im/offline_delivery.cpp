#include "im/offline_delivery.hpp"

#include <algorithm>
#include <unordered_set>

#include <boost/asio/post.hpp>

#include "im/delivery_hop.hpp"
#include "sip/numeric_headers.hpp"
#include "sip/uri.hpp"

namespace osprey::im {
namespace {

// RFC 3261 §21: answers that may change on a later attempt (the device busy, away, overloaded,
// a timeout or a transport error) as opposed to a refusal of this request as it is (4xx, 6xx).
bool is_transient(int status) {
  return status == 408 || status == 480 || status == 486 || status == 491 || (status >= 500 && status < 600);
}

}  // namespace

struct OfflineDelivery::Run {
  Run(boost::asio::io_context& io_context, std::string aor_key, std::chrono::milliseconds first_retry)
      : aor(std::move(aor_key)), backoff(first_retry), timer(io_context) {}
  std::string aor;
  std::vector<store::Binding> bindings;
  std::deque<store::StoredMessage> queue;  // fetched, in id order; front() is being delivered
  std::uint64_t attempt = 0;               // branches of other attempts are stale
  std::size_t pending = 0;                 // branches of this attempt without a final answer
  bool acknowledged = false;               // the front message got its 2xx
  bool worth_retrying = false;             // a branch of this attempt failed in a way that may pass
  int refusal_status = 0;                  // the last definitive refusal of this attempt
  bool waiting = false;                    // in back-off
  std::uint32_t front_attempts = 0;        // failed attempts of the front message
  // Messages set aside in this run (set_aside): left out of every later fetch of the run.
  std::unordered_set<std::uint64_t> set_aside;
  std::chrono::milliseconds backoff;
  boost::asio::steady_timer timer;
};

OfflineDelivery::OfflineDelivery(boost::asio::io_context& io_context, txn::TransactionTable& table,
                                 store::MessageStore& messages, store::LocationStore& location,
                                 DeliveryClaims& claims, Clock clock, Resolve resolve, NewCallId new_call_id,
                                 DeliverySettings settings, DeliveryRouting routing)
    : io_context_(io_context),
      table_(table),
      messages_(messages),
      location_(location),
      claims_(claims),
      clock_(std::move(clock)),
      resolve_(std::move(resolve)),
      new_call_id_(std::move(new_call_id)),
      settings_(settings),
      routing_(std::move(routing)) {}

OfflineDelivery::~OfflineDelivery() {
  // Another worker may deliver these AORs now; what was not acknowledged is still stored.
  for (const auto& [aor, run] : runs_) claims_.release(aor);
}

OfflineDelivery::Run* OfflineDelivery::find(std::string_view aor) {
  if (runs_.empty()) return nullptr;  // nearly always, on the REGISTER path: no key to build
  auto it = runs_.find(std::string(aor));
  return it == runs_.end() ? nullptr : it->second.get();
}

void OfflineDelivery::user_reachable(std::string_view aor, const std::vector<store::Binding>& bindings) {
  if (bindings.empty()) return;
  if (Run* run = find(aor)) {
    run->bindings = bindings;
    if (run->waiting) {
      // The user just registered: no reason to wait out the back-off.
      run->waiting = false;
      run->timer.cancel();
      send_current(*run);
    }
    return;
  }
  if (messages_.pending_count(aor) == 0) return;
  if (!claims_.try_claim(aor)) return;  // another worker's run delivers them
  auto run = std::make_unique<Run>(io_context_, std::string(aor), settings_.first_retry);
  run->bindings = bindings;
  Run& started = *run;
  runs_.emplace(started.aor, std::move(run));
  ++counters_.runs;
  fetch(started);
}

void OfflineDelivery::fetch(Run& run) {
  std::weak_ptr<bool> alive = alive_;
  boost::asio::io_context& worker = io_context_;
  messages_.fetch(run.aor, settings_.batch,
                  [this, &worker, alive, aor = run.aor](std::vector<store::StoredMessage> messages) mutable {
                    // The store's thread: only the io_context is touched until back on the worker.
                    boost::asio::post(worker, [this, alive, aor = std::move(aor),
                                               messages = std::move(messages)]() mutable {
                      if (!alive.expired()) on_fetched(aor, std::move(messages));
                    });
                  });
}

void OfflineDelivery::on_fetched(const std::string& aor, std::vector<store::StoredMessage> messages) {
  Run* run = find(aor);
  if (run == nullptr) return;
  if (messages.empty()) {
    end_run(aor);  // everything delivered (or expired meanwhile)
    return;
  }
  // A message set aside in this run stays for the next run (the user's next REGISTER).
  std::erase_if(messages, [run](const store::StoredMessage& m) { return run->set_aside.contains(m.id); });
  if (messages.empty()) {
    end_run(aor);
    return;
  }
  run->queue.assign(std::make_move_iterator(messages.begin()), std::make_move_iterator(messages.end()));
  send_current(*run);
}

void OfflineDelivery::send_current(Run& run) {
  if (run.queue.empty()) {
    fetch(run);
    return;
  }
  if (run.bindings.empty()) {
    end_run(std::string(run.aor));
    return;
  }
  run.attempt = ++next_attempt_;
  run.acknowledged = false;
  run.worth_retrying = false;
  run.refusal_status = 0;
  run.pending = run.bindings.size();
  // One Call-ID for all branches of this attempt: it is one request forked (RFC 3261 §16.6).
  const std::string call_id = new_call_id_();
  const std::vector<store::Binding> bindings = run.bindings;
  const std::string aor = run.aor;
  const std::uint64_t attempt = run.attempt;
  for (const store::Binding& binding : bindings) {
    registrar::BindingHops hops = registrar::binding_hops(binding, routing_.connection_open);
    // RFC 5626 §5.3: an outbound binding whose flow is gone reaches nobody: a failed branch,
    // transient (the UA registers again over a new flow, and the message follows).
    if (hops.flow_failed) {
      hop_failed(aor, attempt, delivery_address(binding, call_id), {}, true);
      continue;
    }
    if (hops.uris.empty()) {
      // A WebSocket binding whose connection is gone: nothing reaches it until it registers
      // again (registrar/binding_hop.hpp); the message waits for that.
      hop_failed(aor, attempt, delivery_address(binding, call_id), {});
      continue;
    }
    send_to_hop(aor, attempt, delivery_address(binding, call_id), std::move(hops.uris),
                hops.first_is_own_flow);
  }
}

void OfflineDelivery::send_to_hop(const std::string& aor, std::uint64_t attempt, DeliveryAddress address,
                                  std::vector<std::string> hops, bool own_flow) {
  const std::string hop = hops.front();  // the URI views into it
  auto uri = sip::parse_uri(hop);
  if (!uri) {
    hop_failed(aor, attempt, std::move(address), std::move(hops));
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  resolve_(*uri, [this, alive, aor, attempt, address = std::move(address), hops = std::move(hops),
                  own_flow](tl::expected<net::ResolvedTarget, std::string> resolved) mutable {
    if (!alive.expired()) send_branch(aor, attempt, std::move(address), std::move(hops), own_flow, resolved);
  });
}

void OfflineDelivery::hop_failed(const std::string& aor, std::uint64_t attempt, DeliveryAddress address,
                                 std::vector<std::string> hops, bool transient) {
  Run* run = find(aor);
  if (run == nullptr || run->attempt != attempt || run->acknowledged) return;
  if (!hops.empty()) hops.erase(hops.begin());
  if (hops.empty()) {
    branch_failed(*run, transient);
    return;
  }
  // The hops after the first are the Contact: never the device's own flow.
  send_to_hop(aor, attempt, std::move(address), std::move(hops), false);
}

void OfflineDelivery::send_branch(const std::string& aor, std::uint64_t attempt, DeliveryAddress address,
                                  std::vector<std::string> hops, bool own_flow,
                                  const tl::expected<net::ResolvedTarget, std::string>& resolved) {
  Run* run = find(aor);
  // Another branch already got the 2xx, or the run moved on: nothing more to send for it.
  if (run == nullptr || run->attempt != attempt || run->acknowledged) return;
  if (!resolved || resolved->hops.empty()) {
    hop_failed(aor, attempt, std::move(address), std::move(hops));
    return;
  }
  std::vector<net::ResolvedHop> addresses = resolved->hops;
  // Every address is judged, not only the first; a refused one is no place that changes its
  // mind (no back-off for it).
  if (routing_.refused) {
    std::erase_if(addresses, [this](const net::ResolvedHop& hop) { return routing_.refused(hop.endpoint); });
    if (addresses.empty()) {
      hop_failed(aor, attempt, std::move(address), std::move(hops), false);
      return;
    }
  }
  if (routing_.blocklist != nullptr) routing_.blocklist->order(addresses);
  // A Contact's host is whatever its UA wrote: a name with hundreds of dead addresses must not
  // hold the user's queue for hours of timeouts (as ProxyCore::kMaxHopsPerTarget).
  if (addresses.size() > kMaxAddressesPerHop) addresses.resize(kMaxAddressesPerHop);
  send_to_address(aor, attempt, std::move(address), std::move(hops), own_flow, std::move(addresses),
                  resolved->server_name);
}

void OfflineDelivery::send_to_address(const std::string& aor, std::uint64_t attempt, DeliveryAddress address,
                                      std::vector<std::string> hops, bool own_flow,
                                      std::vector<net::ResolvedHop> addresses,
                                      const std::string& server_name) {
  Run* run = find(aor);
  if (run == nullptr || run->attempt != attempt || run->acknowledged) return;
  while (!addresses.empty()) {
    auto request = delivery_request(run->queue.front(), address);
    if (!request) {
      branch_failed(*run);
      return;
    }
    txn::Target target{addresses.front().protocol, addresses.front().endpoint, server_name};
    addresses.erase(addresses.begin());
    target.peer_flow = own_flow && net::is_reliable(target.protocol);
    auto client = table_.send_request(std::move(*request), target);
    if (!client) {
      // The table's nullopt counts as 503 (transaction_table.hpp): a transport error; the next
      // address (RFC 3263 §4.3).
      if (routing_.blocklist != nullptr) routing_.blocklist->failed(target.protocol, target.destination);
      continue;
    }
    ++counters_.sent;
    branches_.emplace(key_of(*client), BranchRef{aor, attempt, std::move(address), std::move(hops),
                                                 std::move(addresses), target, own_flow});
    return;
  }
  hop_failed(aor, attempt, std::move(address), std::move(hops));
}

bool OfflineDelivery::on_response(txn::ClientTransactionId transaction, const sip::Message& response) {
  auto it = branches_.find(key_of(transaction));
  if (it == branches_.end()) return false;
  if (response.status() < 200) return true;  // provisional: the final one follows
  BranchRef ref = std::move(it->second);
  branches_.erase(it);
  Run* run = find(ref.aor);
  // A 2xx after the first (another device) or any answer of an older attempt changes nothing:
  // the message was removed once and the next one is on its way.
  if (run == nullptr || run->attempt != ref.attempt || run->acknowledged) return true;
  if (response.status() == 503 && !ref.addresses.empty()) {
    // RFC 3263 §4.3: the next address of the same hop (§21.5.4: this one is overloaded).
    if (routing_.blocklist != nullptr) {
      if (auto after = sip::retry_after(response); after && *after)
        routing_.blocklist->unavailable_for(ref.sent_to.protocol, ref.sent_to.destination, (*after)->seconds);
    }
    send_to_address(ref.aor, ref.attempt, std::move(ref.address), std::move(ref.hops), ref.own_flow,
                    std::move(ref.addresses), ref.sent_to.server_name);
    return true;
  }
  if (response.status() < 300) {
    delivered(*run);
  } else {
    branch_failed(*run, is_transient(response.status()), response.status());
  }
  return true;
}

bool OfflineDelivery::on_client_failure(txn::ClientTransactionId transaction, int /*status*/) {
  auto it = branches_.find(key_of(transaction));
  if (it == branches_.end()) return false;
  BranchRef ref = std::move(it->second);
  branches_.erase(it);
  Run* run = find(ref.aor);
  if (run == nullptr || run->attempt != ref.attempt || run->acknowledged) return true;
  if (routing_.blocklist != nullptr)
    routing_.blocklist->failed(ref.sent_to.protocol, ref.sent_to.destination);
  // No answer at all from this address (timeout, transport error): the hop's next address
  // (RFC 3263 §4.3), then the binding's next hop.
  if (!ref.addresses.empty()) {
    send_to_address(ref.aor, ref.attempt, std::move(ref.address), std::move(ref.hops), ref.own_flow,
                    std::move(ref.addresses), ref.sent_to.server_name);
    return true;
  }
  if (!ref.hops.empty()) ref.hops.erase(ref.hops.begin());
  if (!ref.hops.empty()) {
    send_to_hop(ref.aor, ref.attempt, std::move(ref.address), std::move(ref.hops), false);
  } else {
    branch_failed(*run, true);
  }
  return true;
}

void OfflineDelivery::branch_failed(Run& run, bool transient, int status) {
  if (transient) run.worth_retrying = true;
  if (!transient && status != 0) run.refusal_status = status;
  if (run.pending > 0) --run.pending;
  if (run.pending != 0 || run.acknowledged) return;
  if (!run.worth_retrying) {
    // Every device refused it for good (e.g. 415, 488, 603): retrying would block the user's
    // queue until expiry for nothing. The message is dropped and counted, the next one goes.
    ++counters_.refused;
    if (refusal_report_) refusal_report_({run.queue.front().id, run.aor, run.refusal_status});
    finish_front(run);
    return;
  }
  ++counters_.failures;
  if (++run.front_attempts >= settings_.attempts_before_set_aside) {
    set_aside(run);
    return;
  }
  schedule_retry(run);
}

void OfflineDelivery::set_aside(Run& run) {
  // A message that failed on every flow of the user, attempt after attempt, while the user stayed
  // registered: the fault may be the message's own (too large for UDP toward a UA without a
  // stream flow, RFC 3428 §8), so it must not hold the messages behind it. It stays stored, is
  // skipped for the rest of this run and tried again in the user's next run; order among the
  // user's messages gives way to delivery. The back-off is not reset: a device that takes
  // nothing at all is not hammered by the messages behind.
  const store::StoredMessage& front = run.queue.front();
  ++counters_.set_aside;
  if (set_aside_report_) set_aside_report_({front.id, run.aor, run.front_attempts});
  run.set_aside.insert(front.id);
  run.queue.pop_front();
  run.front_attempts = 0;
  schedule_retry(run);
}

void OfflineDelivery::delivered(Run& run) {
  run.acknowledged = true;
  ++counters_.delivered;
  finish_front(run);
}

void OfflineDelivery::finish_front(Run& run) {
  run.backoff = settings_.first_retry;
  run.front_attempts = 0;
  std::weak_ptr<bool> alive = alive_;
  boost::asio::io_context& worker = io_context_;
  // remove() takes the message out of pending_count() and fetch() at once, so the next fetch of
  // this run cannot return it again; `done` only reports whether the deletion reached the disk.
  messages_.remove(run.queue.front().id, [this, &worker, alive](bool ok) {
    if (ok) return;
    boost::asio::post(worker, [this, alive] {
      if (!alive.expired()) ++counters_.remove_failures;
    });
  });
  run.queue.pop_front();
  send_current(run);
}

void OfflineDelivery::schedule_retry(Run& run) {
  run.waiting = true;
  run.timer.expires_after(run.backoff);
  run.backoff = std::min(run.backoff * 2, settings_.max_retry);
  std::weak_ptr<bool> alive = alive_;
  run.timer.async_wait([this, alive, aor = run.aor](const boost::system::error_code& error) {
    if (!error && !alive.expired()) retry(aor);
  });
}

void OfflineDelivery::retry(const std::string& aor) {
  Run* run = find(aor);
  if (run == nullptr || !run->waiting) return;  // user_reachable restarted it already
  run->waiting = false;
  auto bindings = location_.lookup(aor, clock_());
  if (bindings.empty()) {
    end_run(aor);  // offline again: the next REGISTER starts a new run
    return;
  }
  run->bindings = std::move(bindings);
  ++counters_.retries;
  send_current(*run);
}

void OfflineDelivery::end_run(const std::string& aor) {
  // Copied first: `aor` may be the run's own key, destroyed by the erase.
  const std::string key = aor;
  runs_.erase(key);
  claims_.release(key);
}

}  // namespace osprey::im
