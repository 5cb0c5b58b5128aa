#include "server/server.hpp"

#include <spdlog/spdlog.h>

#include "net/udp_socket.hpp"

namespace osprey::server {

std::string describe(const BoundListener& listener) {
  std::string text(net::via_token(listener.protocol));
  for (char& c : text) c = static_cast<char>(c - 'A' + 'a');
  return text + ' ' + net::to_string(listener.endpoint);
}

tl::expected<std::unique_ptr<Server>, std::string> Server::start(const ServerSettings& settings,
                                                                 spdlog::logger& logger) {
  std::unique_ptr<Server> server(new Server(settings, logger));
  server->counter_ =
      std::make_unique<net::ConnectionCounter>(settings.max_connections, settings.max_connections_per_ip);
  if (!settings.tls.certificate.empty()) {
    auto tls = net::TlsContextStore::create(
        net::TlsFiles{settings.tls.certificate, settings.tls.private_key, settings.tls.ca_file});
    if (!tls) return tl::unexpected("cannot load TLS certificate: " + tls.error());
    server->tls_ = std::move(*tls);
  }

  // SO_REUSEPORT would let a second osprey share the port silently; a plain bind first makes
  // "port in use" an error at start-up, as users expect.
  for (const ListenSpec& spec : settings.listen) {
    if (auto free = net::check_port_free(spec.protocol, spec.at); !free) {
      return tl::unexpected("cannot listen on " + describe({spec.protocol, spec.at}) + ": " + free.error());
    }
  }

  const unsigned workers = settings.workers == 0 ? 1 : settings.workers;
  for (unsigned i = 0; i < workers; ++i) {
    server->workers_.push_back(
        std::make_unique<Worker>(i, server->settings_, *server->counter_, server->tls_, logger));
  }
  // The first worker binds as configured; port 0 then becomes a real port that the other
  // workers bind too, so every worker serves the same addresses.
  for (const ListenSpec& spec : settings.listen) {
    auto bound = server->workers_.front()->listen(spec);
    if (!bound)
      return tl::unexpected("cannot listen on " + describe({spec.protocol, spec.at}) + ": " + bound.error());
    server->bound_.push_back({spec.protocol, *bound});
  }
  for (std::size_t w = 1; w < server->workers_.size(); ++w) {
    for (const BoundListener& listener : server->bound_) {
      auto bound = server->workers_[w]->listen({listener.protocol, listener.endpoint});
      if (!bound) return tl::unexpected("cannot listen on " + describe(listener) + ": " + bound.error());
    }
  }
  for (auto& worker : server->workers_) worker->start();
  return server;
}

Server::~Server() { stop(); }

void Server::stop() {
  for (auto& worker : workers_) worker->stop();
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

std::uint64_t Server::dropped() const {
  std::uint64_t total = 0;
  for (const auto& worker : workers_) total += worker->counters().dropped.load(std::memory_order_relaxed);
  return total;
}

}  // namespace osprey::server
