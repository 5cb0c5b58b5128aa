#include "server/worker.hpp"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "net/stun_binding.hpp"
#include "net/unix_clock.hpp"
#include "server/intake.hpp"
#include "sip/aor.hpp"
#include "sip/builder.hpp"

namespace osprey::server {

namespace {
// The timer wheel's resolution: every RFC 3261 timer is a multiple of it.
constexpr std::chrono::milliseconds kTick{10};
// drain_mailbox keeps its vector's capacity up to this many letters (about 500 KB).
constexpr std::size_t kKeptLetters = 256;

// "z9hG4bKw3." opens the branch of every request worker 3 sends (TableOptions::branch_prefix).
std::string branch_prefix_of(unsigned index) { return "w" + std::to_string(index) + "."; }

// The worker a response belongs to, read from the branch of its top Via; nullopt when the
// branch is not one of ours.
std::optional<unsigned> owner_of(const sip::Message& response) {
  const auto& via = response.top_via();
  if (!via || !via->rfc3261_branch()) return std::nullopt;
  std::string_view rest = via->branch.substr(sip::kMagicCookie.size());
  if (rest.empty() || rest.front() != 'w') return std::nullopt;
  rest.remove_prefix(1);
  unsigned index = 0;
  std::size_t digits = 0;
  while (digits < rest.size() && digits < 6 && rest[digits] >= '0' && rest[digits] <= '9') {
    index = index * 10 + static_cast<unsigned>(rest[digits] - '0');
    ++digits;
  }
  if (digits == 0 || digits >= rest.size() || rest[digits] != '.') return std::nullopt;
  return index;
}
}  // namespace

Worker::Worker(unsigned index, const ServerSettings& settings, net::ConnectionCounter& counter,
               net::ConnectionDirectory& directory, std::shared_ptr<net::TlsContextStore> tls,
               store::LocationStore& location, spdlog::logger& logger)
    : index_(index),
      datagram_options_(settings.parse),
      stream_options_(settings.parse),
      logger_(logger),
      event_log_(logger, std::random_device{}()),
      transport_(io_context_, *this, settings.streams, counter, std::move(tls), logger, &directory),
      table_(transport_, responder_, settings.timers, txn::Clock::now()),
      registrar_(io_context_, location, settings.registrar, settings.domains, net::unix_seconds,
                 [this] { return responder_.new_tag(); }),
      resolver_(io_context_, settings.dns),
      blocklist_(settings.blocklist,
                 [] {
                   return std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                       .count();
                 }),
      proxy_(
          table_, transport_, location, net::LocalIdentity(settings.domains), net::unix_seconds,
          [this] { return responder_.new_tag(); },
          [this](const sip::Uri& uri, net::ResolveCallback done) {
            resolver_.resolve(uri, std::move(done));
          }),
      location_(location),
      tick_(io_context_) {
  datagram_options_.stream = false;
  stream_options_.stream = true;  // §18.3: Content-Length is mandatory on streams
  transport_.streams().set_websocket_policy(settings.websocket);
  responder_.attach(table_, &registrar_);
  responder_.attach_proxy(&proxy_);
  responder_.pipeline().route().forward_foreign_register(settings.forward_foreign_register);
  registrar_.attach_send_batch([this](const std::function<void()>& work) {
    const net::NetTransport::HeldDatagrams held(transport_);
    work();
  });
  // The proxy forwards spirals (§16.3 step 4) and finds loops itself; and responses that the
  // kernel hands to another worker's socket find their way back here by the branch prefix.
  // A CANCEL matching nothing is looked for on the other workers, then forwarded (§16.10).
  table_.set_options({.reject_merged_requests = false,
                      .forward_unmatched_cancels = true,
                      .branch_prefix = branch_prefix_of(index)});
  responder_.attach_cancel_relay(
      [this](sip::Message& cancel, const net::Flow& flow) { return pass_cancel_on(cancel, flow); });
  if (!settings.sbc.trunks.empty()) {
    b2bua_.emplace(
        index, settings.sbc, table_, transport_, proxy_.identity(),
        [this](const sip::Uri& uri, net::ResolveCallback done) { resolver_.resolve(uri, std::move(done)); },
        sbc::UserLocation{.location = &location_,
                          .clock = net::unix_seconds,
                          .connection_open = registrar::connection_open_in(transport_),
                          .is_local_user = [this](const sip::Uri& uri) { return is_local_user(uri); }});
    responder_.attach_b2bua(&*b2bua_);
  }
}

void Worker::reload_sbc(const sbc::SbcSettings& settings, const sbc::TrunkControls& controls) {
  if (!b2bua_) return;
  boost::asio::post(io_context_, [this, settings, controls] { b2bua_->reload(settings, controls); });
}

bool Worker::is_local_user(const sip::Uri& uri) const {
  if (users_ != nullptr && users_->size() > 0) return users_->has_aor(sip::account_aor(uri));
  return !location_.lookup(sip::canonical_aor(uri), net::unix_seconds()).empty();
}

void Worker::report_b2bua_idle(txn::TimePoint now) {
  if (!b2bua_ || b2bua_->call_count() != 0) return;
  const sbc::B2buaCounters& counters = b2bua_->counters();
  if (counters.calls_started == b2bua_reported_started_ || now - b2bua_reported_at_ < std::chrono::seconds(1))
    return;
  b2bua_reported_started_ = counters.calls_started;
  b2bua_reported_at_ = now;
  logger_.info(
      "sbc: worker {}: no call up ({} started, {} answered, {} failed, {} failovers, {} unknown legs)",
      index_, counters.calls_started, counters.calls_answered, counters.calls_failed, counters.failovers,
      counters.unknown_legs);
}

Worker::~Worker() { stop(); }

void Worker::attach_services(store::MessageStore* messages, const store::UserStore* users,
                             im::DeliveryClaims& claims, store::LocationStore& location,
                             const ServerSettings& settings) {
  users_ = users;
  proxy::ProxyServices services{.users = users,
                                .offline = nullptr,
                                .im_limits = settings.im,
                                .trusted_peers = &settings.security.trusted_peers,
                                .gateway = settings.security.gateway,
                                .blocklist = &blocklist_,
                                .redirects = settings.redirects};
  if (messages != nullptr) {
    auto new_tag = [this] { return responder_.new_tag(); };
    offline_.emplace(io_context_, table_, *messages, net::unix_seconds, new_tag, settings.im, users);
    delivery_.emplace(
        io_context_, table_, *messages, location, claims, net::unix_seconds,
        [this](const sip::Uri& uri, net::ResolveCallback done) { resolver_.resolve(uri, std::move(done)); },
        [this] { return responder_.new_tag() + "@osprey"; }, im::DeliverySettings{},
        im::DeliveryRouting{registrar::connection_open_in(transport_),
                            [this](const net::Endpoint& to) {
                              return proxy_.identity().is_ours(net::host_text(to.address), to.port) ||
                                     proxy_.is_gateway(to);
                            },
                            &blocklist_});
    // The sender was told 202: a message its recipient's devices refuse for good is dropped
    // (retrying could never succeed and would hold the queue), and the operator is told.
    delivery_->set_refusal_report([this](const im::DeliveryRefusal& refusal) {
      logger_.warn(
          "stored message {} for {} dropped: every device refused it for good ({}); its sender had 202",
          refusal.id, refusal.aor, refusal.status);
    });
    delivery_->set_set_aside_report([this](const im::DeliverySetAside& set_aside) {
      logger_.info(
          "stored message {} for {} set aside after {} failed attempts on every device: the messages behind "
          "it go "
          "first; it stays stored and is tried again at the next registration",
          set_aside.id, set_aside.aor, set_aside.attempts);
    });
    services.offline = &*offline_;
    registrar_.set_reachable_report(
        [this](std::string_view aor, const std::vector<store::Binding>& bindings) {
          delivery_->user_reachable(aor, bindings);
        });
    responder_.attach_delivery(&*delivery_);
  }
  proxy_.attach(services);
  proxy_.set_events(event_log_.events());
}

void Worker::attach_security(const SharedSecurity& shared, const store::UserStore* users,
                             const ServerSettings& settings) {
  const security::SecuritySettings& security = settings.security;
  bans_ = shared.bans;
  if (bans_ != nullptr) {
    // A banned address gets no connection either (connections closed).
    transport_.streams().set_peer_filter(
        [this](const boost::asio::ip::address& peer) { return bans_->is_banned(peer, net::unix_seconds()); });
  }
  if (security.rate_limit.requests_per_second > 0) rate_limiter_.emplace(security.rate_limit);
  if (!security.scanner_user_agents.empty()) scanners_.emplace(security.scanner_user_agents);
  responder_.pipeline().scanner().attach(scanners_ ? &*scanners_ : nullptr, bans_, net::unix_seconds,
                                         &logger_);
  if (security.authentication && users != nullptr && shared.nonces != nullptr &&
      shared.nonce_counts != nullptr) {
    authenticator_.emplace(*users, *shared.nonces, *shared.nonce_counts, security.digest_algorithms,
                           security::Md5OnlyClients(security.md5_only_user_agents));
  }
  access_.emplace(security, proxy_.identity(), users, authenticator_ ? &*authenticator_ : nullptr, bans_,
                  shared.dial_policy, net::unix_seconds, logger_, shared.dialog_tokens);
  proxy_.set_dialog_tokens(shared.dialog_tokens);
  proxy_.set_dial_policy(shared.dial_policy);
  access_->set_ack_drop_report([this](const sip::Message& ack, std::string_view why,
                                      const net::Endpoint* from) { event_log_.ack_dropped(ack, why, from); });
  responder_.attach_access(&*access_);
}

tl::expected<net::Endpoint, std::string> Worker::listen(const ListenSpec& spec) {
  auto bound = transport_.listen(spec.protocol, spec.at);
  // The proxy recognises its own Route and Via values by these (RFC 3261 §16.3 step 4, §16.4).
  if (bound) {
    proxy_.identity().add_listener(spec.protocol, *bound);
    bound_.emplace_back(spec.protocol, *bound);
  }
  return bound;
}

void Worker::start() {
  // SBC mode: the first worker registers to the trunks that want it (one REGISTER client each,
  // on this worker's table). Its Contact is osprey's address toward the trunk's peer when that
  // is an IP literal, else the first listener of the peer's transport.
  if (b2bua_ && index_ == 0) {
    b2bua_->start_registrations(
        [this](const sbc::Trunk& trunk) {
          const auto peer = sip::parse_uri(trunk.peer);
          tl::expected<net::UriTarget, std::string> target = tl::unexpected(std::string("no peer"));
          if (peer) target = net::target_of(*peer);
          std::optional<net::Endpoint> local;
          if (target && target->host_is_address) {
            boost::system::error_code error;
            const auto address = boost::asio::ip::make_address(target->host, error);
            if (!error) local = transport_.sent_by(target->protocol, {address, target->port});
          }
          for (const auto& [protocol, at] : bound_) {
            if (local) break;
            if (target && protocol == target->protocol && !at.address.is_unspecified()) local = at;
          }
          std::string user = "osprey";
          if (auto aor = sip::parse_uri(trunk.registration.aor); aor && aor->has_user)
            user = std::string(aor->user);
          return "sip:" + user + "@" + (local ? net::to_string(*local) : std::string("127.0.0.1"));
        },
        txn::Clock::now());
  }
  schedule_tick();
  thread_ = std::thread([this] { io_context_.run(); });
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_context_, [this] {
    tick_.cancel();
    transport_.close();
    io_context_.stop();
  });
  thread_.join();
}

void Worker::schedule_tick() {
  tick_.expires_after(kTick);
  tick_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    drain_mailbox();
    const auto now = txn::Clock::now();
    table_.advance(now);
    proxy_.advance(now);
    if (b2bua_) b2bua_->advance(now);
    report_b2bua_idle(now);
    schedule_tick();
  });
}

bool Worker::admit_source(std::string_view bytes, const net::Flow& flow) {
  // Bans: a banned source costs one hash lookup; its stream connection is closed.
  if (bans_ != nullptr && bans_->is_banned(flow.remote.address, net::unix_seconds())) {
    counters_.banned.fetch_add(1, std::memory_order_relaxed);
    if (flow.connection != 0) transport_.streams().close(flow.connection, "banned");
    return false;
  }
  if (!rate_limiter_) return true;
  const auto now = std::chrono::steady_clock::now();
  switch (rate_limiter_->admit(flow.remote.address, now)) {
    case security::RateDecision::pass: return true;
    case security::RateDecision::drop:
      counters_.rate_limited.fetch_add(1, std::memory_order_relaxed);
      return false;
    case security::RateDecision::reject: break;
  }
  counters_.rate_limited.fetch_add(1, std::memory_order_relaxed);
  // Over the rate: a request gets 503 with Retry-After (RFC 3261 §21.5.4), statelessly and only
  // as often as the limiter allows replies; the flood beyond that is dropped.
  Intake intake = take_in(bytes, net::is_message_framed(flow.protocol) ? datagram_options_ : stream_options_);
  if (!intake.message || !intake.message->is_request() || intake.message->method() == sip::Method::ack) {
    return false;
  }
  txn::stamp_received(*intake.message, flow);  // RFC 3581 §4, as for every response of ours
  auto reply =
      sip::MessageBuilder::response_to(*intake.message, 503, "Rate Limit Exceeded", responder_.new_tag());
  reply.header("Retry-After", std::to_string(rate_limiter_->retry_after(flow.remote.address, now)));
  transport_.send(flow, std::move(reply).serialize());
  return false;
}

void Worker::on_message(std::string_view bytes, const net::Flow& flow) {
  counters_.messages.fetch_add(1, std::memory_order_relaxed);
  if (peers_.size() > 1) {
    mailbox_.note_active(HandoverMailbox::Clock::now());
    if (mailbox_.maybe_has_mail()) drain_mailbox();
  }
  if (!admit_source(bytes, flow)) return;
  // RFC 5626 §4.4.2, §8: a STUN Binding request on the SIP UDP port is a keep-alive, answered
  // with the source it came from; never SIP, so never parsed, answered 400 or counted against
  // the sender as a broken SIP message. After the ban and rate checks: a spoofed flood is
  // reflected no more than SIP requests are (net/stun_binding.hpp bounds the reply's size).
  if (flow.protocol == net::Protocol::udp && net::looks_like_stun(bytes)) {
    if (auto reply = net::stun_binding_response(bytes, flow.remote)) {
      counters_.stun_answered.fetch_add(1, std::memory_order_relaxed);
      transport_.send(flow, *reply);
    } else {
      counters_.dropped.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  // RFC 5626 §4.4.1, RFC 3261 §7.5: CRLFs alone are a keep-alive, not a broken message (streams
  // answer the double CRLF in net/; a datagram needs no answer). Nothing to parse, nothing to log.
  if (flow.protocol == net::Protocol::udp && is_keepalive(bytes)) return;
  Intake intake =
      take_in(bytes, net::is_message_framed(flow.protocol) ? datagram_options_ : stream_options_, &flow);
  if (!intake.reply.empty()) {
    // No transaction for a request this broken: the answer goes straight back where it came
    // from (the flow's source, as rport would have it; §18.2.2 needs a parsed Via).
    counters_.stateless_replies.fetch_add(1, std::memory_order_relaxed);
    transport_.send(flow, intake.reply);
    return;
  }
  if (!intake.message) {
    counters_.dropped.fetch_add(1, std::memory_order_relaxed);
    logger_.debug("worker {}: dropped {} bytes from {}: {}", index_, bytes.size(),
                  net::to_string(flow.remote), intake.dropped);
    return;
  }
  sip::Message& message = *intake.message;
  if (message.is_request()) {
    // The request pipeline's screening before the transaction layer: attack tools' requests
    // are dropped unanswered (proxy/stage_scanner.hpp).
    if (responder_.pipeline().screen(message, flow) == proxy::Verdict::dropped) {
      counters_.scanners.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    txn::stamp_received(message, flow);  // §18.2.1, RFC 3581 §4
    // SBC mode: an in-dialog request at a B2BUA leg's Contact belongs to the worker that owns
    // the call (its index is in the Contact), before any transaction is opened here. Only one
    // at an address of ours (B2bua::claims) naming a worker that exists crosses, in a share of
    // the owner's mailbox of its own: anyone can write such a Request-URI.
    if (b2bua_ && peers_.size() > 1) {
      if (auto leg = sbc::leg_address_of(message);
          leg && leg->worker != index_ && leg->worker < peers_.size() && b2bua_->claims(message)) {
        peers_[leg->worker]->hand_over(std::move(message), flow, 0, true);
        return;
      }
    }
  } else if (auto owner = owner_of(message); owner && *owner != index_ && *owner < peers_.size()) {
    // SO_REUSEPORT spreads datagrams by address, not by transaction: a response to a request
    // another worker sent goes to that worker, which alone touches its transactions.
    peers_[*owner]->hand_over(std::move(message), flow);
    return;
  }
  table_.receive(std::move(message), flow);
}

bool Worker::pass_cancel_on(sip::Message& cancel, const net::Flow& flow) {
  if (peers_.size() <= 1 || cancel_visits_ >= peers_.size()) return false;
  const std::size_t next = (index_ + 1) % peers_.size();
  peers_[next]->hand_over(std::move(cancel), flow, cancel_visits_ + 1);
  return true;
}

void Worker::hand_over(sip::Message response, const net::Flow& flow, unsigned cancel_visits,
                       bool leg_request) {
  // The Message owns its bytes (take_in copies them): it moves across as it is, parsed once.
  switch (
      mailbox_.put({std::move(response), flow, cancel_visits, leg_request}, HandoverMailbox::Clock::now())) {
    case HandoverMailbox::Put::wake_owner: boost::asio::post(io_context_, [this] { drain_mailbox(); }); break;
    case HandoverMailbox::Put::full: counters_.dropped.fetch_add(1, std::memory_order_relaxed); break;
    case HandoverMailbox::Put::queued: break;
  }
}

void Worker::drain_mailbox() {
  // Taken out of the member first: nothing below should re-enter, but if it did it would find an
  // empty vector rather than one being walked.
  std::vector<HandoverMailbox::Letter> letters;
  letters.swap(letters_);
  mailbox_.take_all(letters);
  {
    // The responses they forward upstream leave together, in one sendmmsg per socket.
    const net::NetTransport::HeldDatagrams held(transport_);
    for (HandoverMailbox::Letter& letter : letters) {
      cancel_visits_ = std::max(letter.cancel_visits, 1u);
      table_.receive(std::move(letter.response), letter.flow);
    }
    cancel_visits_ = 1;
  }
  letters.clear();
  // Kept for the next drain unless a burst grew it: then it is freed, not held for good.
  if (letters_.empty() && letters.capacity() <= kKeptLetters) letters_.swap(letters);
}

void Worker::on_connection_closed(net::ConnectionId connection) { table_.on_connection_closed(connection); }

}  // namespace osprey::server
