#pragma once
// One worker thread (DESIGN.md, threading): its own io_context, sockets, transaction table and
// timer wheel. A message is read, parsed, matched and answered on the worker that read it, with
// no lock on the way; workers share only the connection limits, the directory of stream
// connections and the TLS contexts.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <tl/expected.hpp>

#include "im/delivery_claims.hpp"
#include "im/offline_delivery.hpp"
#include "im/store_and_forward.hpp"
#include "net/connection_counter.hpp"
#include "net/connection_directory.hpp"
#include "net/net_transport.hpp"
#include "net/target_resolver.hpp"
#include "net/tls_context_store.hpp"
#include "proxy/proxy_core.hpp"
#include "registrar/registrar_service.hpp"
#include "sbc/b2bua.hpp"
#include "security/access_control.hpp"
#include "security/ban_table.hpp"
#include "security/digest_authenticator.hpp"
#include "security/nonce_counts.hpp"
#include "security/nonce_service.hpp"
#include "security/rate_limiter.hpp"
#include "security/scanner_filter.hpp"
#include "server/handover_mailbox.hpp"
#include "server/local_responder.hpp"
#include "server/proxy_event_log.hpp"
#include "server/server_settings.hpp"
#include "store/location_store.hpp"
#include "txn/transaction_table.hpp"

namespace spdlog {
class logger;
}

namespace osprey::server {

struct WorkerCounters {
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> stateless_replies{0};  // 400/505/513 answered without a transaction
  std::atomic<std::uint64_t> dropped{0};            // unreadable input, never answered
  std::atomic<std::uint64_t> banned{0};             // from a banned source, dropped before parsing
  std::atomic<std::uint64_t> rate_limited{0};       // over the source's rate: 503 or dropped
  std::atomic<std::uint64_t> stun_answered{0};      // RFC 5626 §4.4.2 STUN keep-alives answered
  std::atomic<std::uint64_t> scanners{0};           // attack tools' requests, dropped unanswered
};

// What every worker shares for security: nonces and their counts (a client may come back on
// another worker), the bans, the dial policy. Owned by the Server; all thread-safe.
struct SharedSecurity {
  const security::NonceService* nonces = nullptr;
  security::NonceCounts* nonce_counts = nullptr;
  security::BanTable* bans = nullptr;
  const security::DialPolicy* dial_policy = nullptr;
  const security::DialogToken* dialog_tokens = nullptr;
};

class Worker final : public net::TransportListener {
 public:
  // `counter` and `directory` are shared by every worker and outlive them.
  Worker(unsigned index, const ServerSettings& settings, net::ConnectionCounter& counter,
         net::ConnectionDirectory& directory, std::shared_ptr<net::TlsContextStore> tls,
         store::LocationStore& location, spdlog::logger& logger);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds one listener on this worker (before start()); returns the bound endpoint.
  tl::expected<net::Endpoint, std::string> listen(const ListenSpec& spec);
  // Runs the event loop on a new thread.
  void start();
  // Closes the sockets, stops the loop and joins the thread. Idempotent.
  void stop();

  // The messaging services and the accounts the proxy consults (404 vs 480); before
  // start(). `messages` null: MESSAGEs are never stored. Everything passed outlives the worker.
  void attach_services(store::MessageStore* messages, const store::UserStore* users,
                       im::DeliveryClaims& claims, store::LocationStore& location,
                       const ServerSettings& settings);

  // Authentication, bans, rate limits, scanner filtering; before start(), after
  // attach_services. Everything passed outlives the worker.
  void attach_security(const SharedSecurity& shared, const store::UserStore* users,
                       const ServerSettings& settings);

  // SBC mode: the trunks' limits and inbound digest accounts, shared by every worker; before
  // start(). Without trunks it is not called.
  void attach_trunk_controls(const sbc::SbcSettings& settings, const sbc::TrunkControls& controls) {
    if (b2bua_) b2bua_->reload(settings, controls);
  }

  // SBC mode: the dialogs of every worker's calls and the transfer tokens (attended transfer
  // across workers), owned by the Server; before start(). Without trunks it is not called.
  void attach_transfer_index(sbc::TransferIndex* index) {
    if (b2bua_) b2bua_->set_transfer_index(index);
  }

  // Thread-safe: SBC mode's new trunks and routes (SIGHUP), for the calls that start from now
  // on; calls in progress keep theirs. Without trunks at start it does nothing.
  void reload_sbc(const sbc::SbcSettings& settings, const sbc::TrunkControls& controls);

  void on_message(std::string_view bytes, const net::Flow& flow) override;
  // Every worker of the server, by index, set once before start(): responses are handed to the
  // worker whose branch they carry.
  void set_peers(std::vector<Worker*> peers) { peers_ = std::move(peers); }
  // Thread-safe: a response another worker read, for this worker's transaction table. It waits
  // in the mailbox until this worker runs next (at most one tick); a quiet worker is woken.
  // `cancel_visits`: for a CANCEL passed on by pass_cancel_on, the workers that looked so far.
  void hand_over(sip::Message response, const net::Flow& flow, unsigned cancel_visits = 0,
                 bool leg_request = false);
  void on_connection_closed(net::ConnectionId connection) override;

  const WorkerCounters& counters() const { return counters_; }
  // SBC mode's calls up on this worker; 0 without trunks. The worker's thread only.
  std::size_t b2bua_calls() const { return b2bua_ ? b2bua_->call_count() : 0; }

 private:
  void schedule_tick();
  // The responses other workers handed over, into the transaction table.
  void drain_mailbox();
  // RFC 3261 §9.2: a CANCEL matching no INVITE of this worker goes to the next worker, round
  // the ring, until one holds its INVITE (it is cancelled there) or every worker looked (the
  // last one forwards it, §16.10). Only CANCELs that match nothing pay for this: the INVITE
  // path registers nothing anywhere. False: every worker has looked.
  bool pass_cancel_on(sip::Message& cancel, const net::Flow& flow);
  // The checks before parsing (bans, rate); false: the message is gone (dropped or answered).
  bool admit_source(std::string_view bytes, const net::Flow& flow);
  // SBC mode: one of our users, for the B2BUA (an account, or a binding without accounts).
  bool is_local_user(const sip::Uri& uri) const;
  // SBC mode: a line when the worker's calls have all ended, at most once a second (the
  // operator, and the interop tests, see that no call is left behind).
  void report_b2bua_idle(txn::TimePoint now);

  unsigned index_;
  sip::ParseOptions datagram_options_;
  sip::ParseOptions stream_options_;
  spdlog::logger& logger_;
  // Before everything that reports to it, so it outlives them.
  ProxyEventLog event_log_;
  boost::asio::io_context io_context_{1};
  LocalResponder responder_;
  net::NetTransport transport_;
  txn::TransactionTable table_;
  registrar::RegistrarService registrar_;
  net::TargetResolver resolver_;
  // Destinations that failed a moment ago, tried last (this worker's own: no lock).
  net::DestinationBlocklist blocklist_;
  proxy::ProxyCore proxy_;
  store::LocationStore& location_;
  const store::UserStore* users_ = nullptr;
  // SBC mode (trunks configured): the B2BUA beside the proxy, on the same table.
  std::optional<sbc::B2bua> b2bua_;
  std::vector<std::pair<net::Protocol, net::Endpoint>> bound_;  // this worker's listeners
  std::uint64_t b2bua_reported_started_ = 0;
  txn::TimePoint b2bua_reported_at_{};
  std::optional<im::OfflineMessages> offline_;
  std::optional<im::OfflineDelivery> delivery_;
  security::BanTable* bans_ = nullptr;
  std::optional<security::RateLimiter> rate_limiter_;
  std::optional<security::ScannerFilter> scanners_;
  std::optional<security::DigestAuthenticator> authenticator_;
  std::optional<security::AccessControl> access_;
  boost::asio::steady_timer tick_;
  std::thread thread_;
  std::vector<Worker*> peers_;
  HandoverMailbox mailbox_;
  std::vector<HandoverMailbox::Letter> letters_;  // drain_mailbox's, kept for its capacity
  unsigned cancel_visits_ = 1;                    // of the message being received: this worker counts as one
  WorkerCounters counters_;
};

}  // namespace osprey::server
