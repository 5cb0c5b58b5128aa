#pragma once
// The registrar as a local service of the server (as im/ holds the messaging services) (RFC 3261 §10.3):
// reads a REGISTER, applies the rules to the AOR's bindings inside the location store, and answers 200 only
// once the change is durable (the store calls back from its writer thread; the answer is posted back to the
// worker that owns the transaction, which alone may touch its transaction table).

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/flow.hpp"
#include "registrar/registrar_rules.hpp"
#include "sip/message.hpp"
#include "store/location_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::registrar {

struct RegistrarCounters {
  std::uint64_t registered = 0;      // 200s
  std::uint64_t refused = 0;         // 4xx/5xx from the rules
  std::uint64_t store_failures = 0;  // the change could not be made durable: 500
};

class RegistrarService {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch
  using NewTag = std::function<std::string()>;

  // Answers leave in bursts, kBurstGap apart: kAnswersPerBurst, or a quarter of those waiting
  // when more are (so pacing never caps throughput: a backlog drains in a few bursts). A store
  // commit makes a hundred or more REGISTERs durable at once under load; sent in one go, their
  // answers overflow the receive buffer of a peer that has all of them behind one socket (an SBC,
  // a load balancer, SIPp: ~100 datagrams with the usual 128 KB), and every lost 200 costs a
  // retransmission of the REGISTER. Paced, the store can commit less often
  // (SqliteJournal::kCommitSpacing), and a commit is the dearest part of a REGISTER.
  static constexpr std::size_t kAnswersPerBurst = 32;
  static constexpr std::size_t kBurstsPerBacklog = 4;
  static constexpr std::chrono::milliseconds kBurstGap{2};

  RegistrarService(boost::asio::io_context& io_context, store::LocationStore& store, RegistrarLimits limits,
                   std::vector<std::string> domains, Clock clock, NewTag new_tag);

  // True when `request` is for this registrar (REGISTER whose Request-URI host is served). A
  // REGISTER for another domain is not (§10.3 step 1: forward it, or refuse it: the caller's choice).
  bool serves(const sip::Message& request) const;

  // Handles the REGISTER of server transaction `transaction`, answering through `table` (now, or
  // later from the store's callback, on this worker's thread).
  void handle(txn::TransactionTable& table, txn::ServerTransactionId transaction, const sip::Message& request,
              const net::Flow& flow);

  // Told of every user a REGISTER made reachable, with its bindings, after the 200: the server
  // delivers the MESSAGEs stored for them (RFC 3428 store-and-forward, im::OfflineDelivery);
  // set once, before traffic.
  using ReachableReport =
      std::function<void(std::string_view aor, const std::vector<store::Binding>& bindings)>;
  void set_reachable_report(ReachableReport report) { reachable_report_ = std::move(report); }
  // Runs `work` with the worker's datagrams held, so the answers to one store commit leave in
  // one sendmmsg (net::NetTransport::HeldDatagrams); set once, before traffic. Unset: `work`
  // runs as it is.
  using SendBatch = std::function<void(const std::function<void()>& work)>;
  void attach_send_batch(SendBatch batch) { send_batch_ = std::move(batch); }

  const RegistrarCounters& counters() const { return counters_; }

 private:
  // What the store's callback needs after handle() returns. The decision is made inside
  // update(), on this thread, so the answer is built there while the request is at hand; the
  // callback only sends it (or, in the rare case the store failed, a 500 made from it).
  struct Pending {
    Decision decision;
    std::string answer;
    std::string tag;
    // Whether the store's callback came before update() returned, and with what: handle()
    // then answers itself. Whichever of the two comes second knows it from this.
    enum Durable : std::uint8_t { kUpdating, kDurable, kFailed, kReturned };
    std::atomic<Durable> durable{kUpdating};
  };
  // A change the store has made durable (or failed to), waiting for this worker's thread.
  struct Completion {
    txn::TransactionTable* table;
    txn::ServerTransactionId transaction;
    std::shared_ptr<Pending> pending;
    bool ok;
  };
  // Any thread: queues the answer; the first completion of a batch posts answer_completed(),
  // unless a paced run of answers is under way (its timer takes the new ones too).
  void complete(Completion completion);
  // This worker's thread: answers up to kAnswersPerBurst of the completions queued so far,
  // datagrams held, and arms the pacing timer while any are left.
  void answer_completed();
  void answer(const Completion& completion);

  boost::asio::io_context& io_context_;
  store::LocationStore& store_;
  RegistrarLimits limits_;
  std::vector<std::string> domains_;
  Clock clock_;
  NewTag new_tag_;
  RegistrarCounters counters_;
  ReachableReport reachable_report_;
  SendBatch send_batch_;
  // The store's writer thread calls back once per change, a commit's worth at a time: one post
  // per batch instead of one per REGISTER, and the answers go out together.
  std::mutex inbox_mutex_;
  std::vector<Completion> inbox_;
  // Under inbox_mutex_: a post on its way or the pacing timer will call answer_completed().
  bool pacing_ = false;
  std::vector<Completion> answering_;  // taken from inbox_, answered from `next_answer_` on
  std::size_t next_answer_ = 0;
  boost::asio::steady_timer pace_timer_;
};

}  // namespace osprey::registrar
