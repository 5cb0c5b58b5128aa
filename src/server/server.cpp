#include "server/server.hpp"
#include "sip/char_class.hpp"

#include <pthread.h>

#include <limits>

#include <spdlog/spdlog.h>

#include "net/udp_socket.hpp"
#include "net/unix_clock.hpp"
#include "security/secret_file.hpp"
#include "store/sqlite_ban_store.hpp"
#include "store/sqlite_message_store.hpp"
#include "store/sqlite_user_store.hpp"

namespace osprey::server {

std::string describe(const BoundListener& listener) {
  return sip::to_ascii_lower(net::via_token(listener.protocol)) + ' ' + net::to_string(listener.endpoint);
}

tl::expected<std::shared_ptr<net::TlsContextStore>, std::string> Server::load_tls(const TlsSpec& tls) {
  if (tls.certificate.empty()) return std::shared_ptr<net::TlsContextStore>();
  auto loaded = net::TlsContextStore::create(net::TlsFiles{tls.certificate, tls.private_key, tls.ca_file});
  if (!loaded) return tl::unexpected("cannot load TLS certificate: " + loaded.error());
  return std::move(*loaded);
}

tl::expected<std::unique_ptr<Server>, std::string> Server::start(const ServerSettings& settings,
                                                                 spdlog::logger& logger) {
  std::unique_ptr<Server> server(new Server(settings, logger));
  server->counter_ = std::make_unique<net::ConnectionCounter>(net::ConnectionCaps{
      settings.max_connections, settings.max_connections_per_ip, settings.max_connections_per_network});
  auto tls = load_tls(settings.tls);
  if (!tls) return tl::unexpected(tls.error());
  server->tls_ = std::move(*tls);
  if (auto free = check_ports_free(settings); !free) return tl::unexpected(free.error());

  const std::int64_t now = net::unix_seconds();
  if (auto stores = server->open_stores(now); !stores) return tl::unexpected(stores.error());
  if (auto security = server->create_security(now); !security) return tl::unexpected(security.error());
  if (auto workers = server->start_workers(); !workers) return tl::unexpected(workers.error());
  server->housekeeper_ = std::thread([raw = server.get()] { raw->run_housekeeping(); });
  // Named, so that `top -H` and /proc show what it costs apart from the workers.
  pthread_setname_np(server->housekeeper_.native_handle(), "housekeeping");
  return server;
}

tl::expected<void, std::string> Server::check_ports_free(const ServerSettings& settings) {
  // SO_REUSEPORT would let a second osprey share the port silently; a plain bind first makes
  // "port in use" an error at start-up, as users expect.
  for (const ListenSpec& spec : settings.listen) {
    if (auto free = net::check_port_free(spec.protocol, spec.at); !free) {
      return tl::unexpected("cannot listen on " + describe({spec.protocol, spec.at}) + ": " + free.error());
    }
  }
  return {};
}

tl::expected<void, std::string> Server::open_stores(std::int64_t now) {
  if (settings_.data_dir.empty()) {
    location_ = std::make_unique<store::MemoryLocationStore>();
    return {};
  }
  // Bindings survive restarts: loaded here, the expired ones dropped (RFC 3261 §10.2.1 lets a
  // binding live until its expiry, whoever restarts in between).
  auto location = store::open_durable_location_store(settings_.data_dir, now);
  if (!location) return tl::unexpected("cannot open the location store: " + location.error());
  location_ = std::move(*location);
  logger_.info("location store {}: {} binding(s) of {} AOR(s) loaded", settings_.data_dir,
               location_->binding_count(), location_->aor_count());
  // Messages kept for offline users survive restarts like bindings (a 202 is a
  // promise); expired ones are dropped on the way in.
  auto messages = store::open_message_store(settings_.data_dir, settings_.messages, now);
  if (!messages) return tl::unexpected("cannot open the message store: " + messages.error());
  messages_ = std::move(*messages);
  auto users = store::open_user_store(settings_.data_dir);
  if (!users) return tl::unexpected("cannot open the user accounts: " + users.error());
  users_ = std::move(*users);
  if (users_->size() == 0 && settings_.security.authentication) {
    logger_.warn("no user accounts yet: nobody can register until one is added (osprey user add)");
  } else {
    logger_.info("{} user account(s){}", users_->size(),
                 users_->size() == 0 ? ": every user of the served domains is known (open registrar)" : "");
  }
  return {};
}

tl::expected<void, std::string> Server::create_security(std::int64_t now) {
  // Security: what the workers share to authenticate, ban and police dialling.
  const security::SecuritySettings& security = settings_.security;
  if (security.authentication && !users_) {
    return tl::unexpected(std::string("authentication needs the user accounts: set a data_dir"));
  }
  nonces_ = std::make_unique<security::NonceService>(security::NonceService::random_secret(),
                                                     security.nonce_lifetime);
  // The counts of a nonce are kept as long as the nonce can be accepted, whatever the
  // configured lifetime: forgetting them sooner would let a captured request be replayed.
  nonce_counts_ = std::make_unique<security::NonceCounts>(security::NonceCounts::retention_for(*nonces_));
  bans_ = std::make_unique<security::BanTable>(security.bans);
  if (!settings_.data_dir.empty()) {
    auto bans = store::SqliteBanStore::open(settings_.data_dir);
    if (!bans) return tl::unexpected("cannot open the ban list: " + bans.error());
    ban_store_ = std::move(*bans);
    ban_sync_ = std::make_unique<BanSync>(*bans_, *ban_store_, logger_);
    ban_sync_->load(now);
  }
  auto dial_policy = security::DialPolicy::create(security.dial_policy);
  if (!dial_policy) return tl::unexpected("invalid dial policy: " + dial_policy.error());
  dial_policy_.emplace(std::move(*dial_policy));
  // Kept in the data directory, so calls in progress keep their in-dialog requests across a
  // restart; nonces get a secret per start (secret_file.hpp says why).
  security::SecretBytes dialog_secret = security::NonceService::random_secret();
  if (!settings_.data_dir.empty()) {
    auto kept =
        security::load_or_create_secret(std::filesystem::path(settings_.data_dir) / "dialog-token.key");
    if (!kept) return tl::unexpected(kept.error());
    dialog_secret = *kept;
  }
  dialog_tokens_ = std::make_unique<security::DialogToken>(dialog_secret, security.dialog_token_lifetime);
  if (!security.authentication) {
    logger_.warn("authentication is off: anyone may register any user and send through this server");
  }
  return {};
}

tl::expected<void, std::string> Server::start_workers() {
  const unsigned workers = settings_.workers == 0 ? 1 : settings_.workers;
  for (unsigned i = 0; i < workers; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(i, settings_, *counter_, directory_, tls_, *location_, logger_));
  }
  // The first worker binds as configured; port 0 then becomes a real port that the other
  // workers bind too, so every worker serves the same addresses.
  for (const ListenSpec& spec : settings_.listen) {
    auto bound = workers_.front()->listen(spec);
    if (!bound)
      return tl::unexpected("cannot listen on " + describe({spec.protocol, spec.at}) + ": " + bound.error());
    bound_.push_back({spec.protocol, *bound});
  }
  for (std::size_t w = 1; w < workers_.size(); ++w) {
    for (const BoundListener& listener : bound_) {
      auto bound = workers_[w]->listen({listener.protocol, listener.endpoint});
      if (!bound) return tl::unexpected("cannot listen on " + describe(listener) + ": " + bound.error());
    }
  }
  for (auto& worker : workers_) {
    worker->attach_services(messages_.get(), users_.get(), claims_, *location_, settings_);
  }
  const SharedSecurity shared{nonces_.get(), nonce_counts_.get(), bans_.get(), &*dial_policy_,
                              dialog_tokens_.get()};
  for (auto& worker : workers_) worker->attach_security(shared, users_.get(), settings_);
  if (!settings_.sbc.trunks.empty()) {
    trunk_controls_ = trunk_controls_for(settings_.sbc);
    for (auto& worker : workers_) worker->attach_trunk_controls(settings_.sbc, trunk_controls_);
    transfer_index_ = std::make_unique<sbc::TransferIndex>();
    for (auto& worker : workers_) worker->attach_transfer_index(transfer_index_.get());
  }
  std::vector<Worker*> peers;
  for (auto& worker : workers_) peers.push_back(worker.get());
  for (auto& worker : workers_) worker->set_peers(peers);
  for (auto& worker : workers_) worker->start();
  return {};
}

sbc::TrunkControls Server::trunk_controls_for(const sbc::SbcSettings& sbc) const {
  return sbc::TrunkControls{
      .admissions = std::make_shared<sbc::TrunkAdmissions>(sbc.trunks, std::chrono::steady_clock::now(),
                                                           trunk_controls_.admissions.get()),
      .authenticators = std::make_shared<const sbc::TrunkAuthenticators>(
          sbc.trunks, settings_.domains.empty() ? std::string("osprey") : settings_.domains.front(), *nonces_,
          *nonce_counts_)};
}

void Server::reload_sbc(const sbc::SbcSettings& settings) {
  // The limits and inbound passwords come from the reloaded configuration too: a trunk it adds
  // or renames is limited from its first call, a rotated password is the one asked for.
  trunk_controls_ = trunk_controls_for(settings);
  for (auto& worker : workers_) worker->reload_sbc(settings, trunk_controls_);
}

Server::~Server() { stop(); }

void Server::stop() {
  {
    std::lock_guard lock(housekeeping_mutex_);
    stopping_ = true;
  }
  housekeeping_wake_.notify_all();
  if (housekeeper_.joinable()) housekeeper_.join();
  for (auto& worker : workers_) worker->stop();
  // After the workers stopped: closing the journal writes what is queued and runs its
  // callbacks, which post to the stopped workers' loops (never run, destroyed with them).
  location_.reset();
  if (messages_) messages_->close();
}

void Server::run_housekeeping() {
  std::unique_lock lock(housekeeping_mutex_);
  while (!housekeeping_wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
    lock.unlock();
    const std::int64_t now = net::unix_seconds();
    if (const std::size_t expired = location_->expire(now); expired > 0) {
      logger_.debug("{} expired binding(s) removed", expired);
    }
    if (messages_) {
      if (const std::size_t dropped = messages_->expire(now); dropped > 0) {
        logger_.warn("{} stored message(s) older than {} s dropped undelivered", dropped,
                     settings_.messages.max_age_seconds);
      }
    }
    // Accounts added or changed by `osprey user` in another process: first, so that nothing
    // else in the round, whatever an attack gives it to do, delays them.
    if (users_) {
      if (auto reloaded = users_->reload_if_changed(); !reloaded) {
        logger_.error("user accounts not reloaded: {}", reloaded.error());
      } else if (*reloaded) {
        logger_.info("user accounts reloaded: {}", users_->size());
      }
    }
    // Bans: those the workers made are saved, those `osprey ban` changed are applied. A round's
    // work is bounded (ban_sync.hpp), so a stop waits at most one round.
    if (ban_sync_) {
      ban_sync_->run(now);
    } else {
      (void)bans_->take_new_bans(std::numeric_limits<std::size_t>::max());  // nowhere to save them
      bans_->expire(now);
    }
    nonce_counts_->expire(now);
    lock.lock();
  }
}

void Server::reload_tls(bool force) {
  if (!tls_) return;
  auto reloaded = tls_->reload(force);
  if (!reloaded) {
    logger_.error("TLS certificate not reloaded, the previous one stays in use: {}", reloaded.error());
  } else if (*reloaded) {
    logger_.info("TLS certificate reloaded from {}", settings_.tls.certificate);
  }
}

std::uint64_t Server::messages() const {
  std::uint64_t total = 0;
  for (const auto& worker : workers_) total += worker->counters().messages.load(std::memory_order_relaxed);
  return total;
}

std::uint64_t Server::banned() const {
  std::uint64_t total = 0;
  for (const auto& worker : workers_) total += worker->counters().banned.load(std::memory_order_relaxed);
  return total;
}

std::uint64_t Server::dropped() const {
  std::uint64_t total = 0;
  for (const auto& worker : workers_) total += worker->counters().dropped.load(std::memory_order_relaxed);
  return total;
}

}  // namespace osprey::server
