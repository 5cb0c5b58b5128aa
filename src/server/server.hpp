#pragma once
// The running SIP server: N workers that each bind every listen address (SO_REUSEPORT, so the
// kernel spreads traffic across them), the shared connection limits and the TLS contexts.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <tl/expected.hpp>

#include "im/delivery_claims.hpp"
#include "net/connection_counter.hpp"
#include "net/connection_directory.hpp"
#include "net/tls_context_store.hpp"
#include "server/ban_sync.hpp"
#include "server/server_settings.hpp"
#include "server/worker.hpp"
#include "store/ban_store.hpp"
#include "store/durable_location_store.hpp"
#include "store/memory_location_store.hpp"
#include "store/message_store.hpp"
#include "store/user_store.hpp"

namespace spdlog {
class logger;
}

namespace osprey::server {

struct BoundListener {
  net::Protocol protocol;
  net::Endpoint endpoint;  // the port actually bound
};

// "udp 127.0.0.1:5060"
std::string describe(const BoundListener& listener);

class Server {
 public:
  // Loads TLS, binds every listener on every worker and starts the worker threads. The error
  // is one line for the log: "cannot listen on udp 127.0.0.1:5060: Address already in use".
  static tl::expected<std::unique_ptr<Server>, std::string> start(const ServerSettings& settings,
                                                                  spdlog::logger& logger);
  // Loads the TLS certificate, key and CA files of `tls` as start() does: each file exists and
  // parses, and the key matches the certificate. Null when there is no TLS listener. `osprey
  // check-config` calls it too, so it refuses what serve would refuse. The error is one line:
  // "cannot load TLS certificate: <file>: <OpenSSL's reason>".
  static tl::expected<std::shared_ptr<net::TlsContextStore>, std::string> load_tls(const TlsSpec& tls);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const std::vector<BoundListener>& bound() const { return bound_; }
  // Re-reads the TLS certificate and key when they changed (or always, when `force`: SIGHUP).
  // New connections use the new certificate; open ones keep theirs. Logs what happened.
  void reload_tls(bool force);
  // SBC mode: the trunks' rules, routes, policies, limits and inbound credentials of a re-read
  // configuration, for new calls (SIGHUP); calls in progress keep theirs. A trunk that stays
  // keeps its count of calls in progress. The thread that started the server.
  void reload_sbc(const sbc::SbcSettings& settings);
  // Stops every worker; idempotent.
  void stop();

  std::uint64_t messages() const;
  std::uint64_t dropped() const;
  std::size_t bindings() const { return location_ ? location_->binding_count() : 0; }
  // Datagrams and connections refused because their source is banned.
  std::uint64_t banned() const;

 private:
  Server(const ServerSettings& settings, spdlog::logger& logger) : settings_(settings), logger_(logger) {}

  // The steps of start(), in order; each error is the one line start() returns.
  // A listener already bound by another process is an error before anything else starts.
  static tl::expected<void, std::string> check_ports_free(const ServerSettings& settings);
  // The location, message and user stores: durable in data_dir, else bindings in memory only.
  tl::expected<void, std::string> open_stores(std::int64_t now);
  // Nonces, their counts, bans, the dial policy and dialog tokens that the workers share.
  tl::expected<void, std::string> create_security(std::int64_t now);
  // Creates the workers, binds every listener on each and starts their threads.
  tl::expected<void, std::string> start_workers();

  ServerSettings settings_;
  spdlog::logger& logger_;
  // Expired bindings leave the location store once a second, off the workers' loops.
  void run_housekeeping();

  std::unique_ptr<net::ConnectionCounter> counter_;
  // Which worker holds each stream connection; declared before workers_ so it outlives them.
  net::ConnectionDirectory directory_;
  std::unique_ptr<store::MemoryLocationStore> location_;
  // <data_dir>/messages.db and users.db; null without a data_dir (tests).
  std::unique_ptr<store::MessageStore> messages_;
  std::unique_ptr<store::UserStore> users_;
  // Security state shared by the workers: nonces, their counts, bans (with bans.db when there is a
  // data_dir) and the dial policy.
  std::unique_ptr<security::NonceService> nonces_;
  std::unique_ptr<security::NonceCounts> nonce_counts_;
  std::unique_ptr<security::BanTable> bans_;
  std::unique_ptr<store::BanStore> ban_store_;
  std::unique_ptr<BanSync> ban_sync_;
  std::optional<security::DialPolicy> dial_policy_;
  std::unique_ptr<security::DialogToken> dialog_tokens_;
  im::DeliveryClaims claims_;  // before workers_: they release their claims when destroyed
  std::thread housekeeper_;
  std::mutex housekeeping_mutex_;
  std::condition_variable housekeeping_wake_;
  bool stopping_ = false;
  std::shared_ptr<net::TlsContextStore> tls_;
  // SBC mode: the current configuration's trunk limits and inbound digest accounts, for every
  // worker (a reload builds new ones, the admissions carrying each surviving trunk's counts
  // over); declared before the workers so that they outlive them.
  sbc::TrunkControls trunk_controls_;
  // Attended transfer across workers (sbc/transfer_index.hpp); before the workers, as above.
  std::unique_ptr<sbc::TransferIndex> transfer_index_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<BoundListener> bound_;

  sbc::TrunkControls trunk_controls_for(const sbc::SbcSettings& sbc) const;
};

}  // namespace osprey::server
