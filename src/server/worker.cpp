#include "server/worker.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "server/intake.hpp"

namespace osprey::server {

namespace {
// The timer wheel's resolution: every RFC 3261 timer is a multiple of it.
constexpr std::chrono::milliseconds kTick{10};
}  // namespace

Worker::Worker(unsigned index, const ServerSettings& settings, net::ConnectionCounter& counter,
               std::shared_ptr<net::TlsContextStore> tls, store::LocationStore& location,
               spdlog::logger& logger)
    : index_(index),
      datagram_options_(settings.parse),
      stream_options_(settings.parse),
      logger_(logger),
      transport_(io_context_, *this, settings.streams, counter, std::move(tls), logger),
      table_(transport_, responder_, settings.timers, txn::Clock::now()),
      registrar_(
          io_context_, location, settings.registrar, settings.domains,
          [] {
            return std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
          },
          [this] { return responder_.new_tag(); }),
      tick_(io_context_) {
  datagram_options_.stream = false;
  stream_options_.stream = true;  // §18.3: Content-Length is mandatory on streams
  responder_.attach(table_, &registrar_);
}

Worker::~Worker() { stop(); }

tl::expected<net::Endpoint, std::string> Worker::listen(const ListenSpec& spec) {
  return transport_.listen(spec.protocol, spec.at);
}

void Worker::start() {
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
    table_.advance(txn::Clock::now());
    schedule_tick();
  });
}

void Worker::on_message(std::string_view bytes, const net::Flow& flow) {
  counters_.messages.fetch_add(1, std::memory_order_relaxed);
  Intake intake = take_in(bytes, flow.protocol == net::Protocol::udp ? datagram_options_ : stream_options_);
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
  if (message.is_request()) txn::stamp_received(message, flow);  // §18.2.1, RFC 3581 §4
  table_.receive(std::move(message), flow);
}

void Worker::on_connection_closed(net::ConnectionId connection) { table_.on_connection_closed(connection); }

}  // namespace osprey::server
