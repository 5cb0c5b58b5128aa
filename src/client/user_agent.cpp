#include "client/user_agent.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

namespace osprey::client {

namespace {
// The timer wheel's resolution, as in the server's workers.
constexpr std::chrono::milliseconds kTick{10};

std::string seconds_text(std::chrono::milliseconds duration) {
  const auto count = duration.count();
  if (count % 1000 == 0) return std::to_string(count / 1000) + " s";
  return std::to_string(count) + " ms";
}

// The transport logs "stream: connection 1 with 127.0.0.1:5061 closed: <reason>".
constexpr std::string_view kClosedMarker = " closed: ";
}  // namespace

UserAgent::UserAgent(UserAgentSettings settings)
    : settings_(std::move(settings)),
      transport_(io_context_, *this, net::StreamLimits{}, counter_, settings_.tls, logger_),
      table_(transport_, *this, settings_.timers, txn::Clock::now()),
      resolver_(io_context_, settings_.dns),
      tick_(io_context_) {
  // RFC 7118: the tools reach a server over WebSocket as a browser would, connecting out.
  transport_.streams().allow_outbound_websocket();
  logger_.set_pattern("%v");
  logger_.set_level(spdlog::level::debug);  // the connection close reasons are debug lines
}

UserAgent::~UserAgent() {
  // Close sockets and connections while the table and transport still exist, and let the
  // aborted handlers run, so nothing outlives what it points to. No callback of the owner
  // runs from here: it may be half destroyed.
  request_handler_ = nullptr;
  closed_handler_ = nullptr;
  tick_.cancel();
  pending_.clear();
  transport_.close();
  io_context_.restart();
  io_context_.poll();
}

tl::expected<net::ResolvedTarget, std::string> UserAgent::resolve(const sip::Uri& uri) {
  std::optional<tl::expected<net::ResolvedTarget, std::string>> result;
  resolver_.resolve(uri, [&result](tl::expected<net::ResolvedTarget, std::string> resolved) {
    result = std::move(resolved);
  });
  io_context_.restart();
  while (!result && io_context_.run_one() > 0) {
  }
  if (!result) return tl::unexpected(std::string("name lookup did not finish"));
  if (*result && (*result)->hops.empty()) return tl::unexpected(std::string("no address"));
  return std::move(*result);
}

tl::expected<net::Endpoint, std::string> UserAgent::open(net::Protocol protocol, const net::Endpoint& peer) {
  if (net::is_secure(protocol) && !settings_.tls)
    return tl::unexpected(std::string("TLS needs a client TLS context (CA certificates)"));
  const boost::asio::ip::address any = peer.address.is_v6()
                                           ? boost::asio::ip::address(boost::asio::ip::address_v6::any())
                                           : boost::asio::ip::address(boost::asio::ip::address_v4::any());
  // A socket of this protocol and family is already open (an earlier address of the target).
  if (auto local = transport_.sent_by(protocol, peer)) return *local;
  auto bound = transport_.listen(protocol, net::Endpoint{any, 0});
  if (!bound) return tl::unexpected(bound.error());
  auto local = transport_.sent_by(protocol, peer);
  if (!local) return tl::unexpected("no route to " + net::to_string(peer));
  return *local;
}

void UserAgent::send_async(sip::Message request, const txn::Target& target, OutcomeHandler done) {
  start_ticking();
  auto transaction = table_.send_request(std::move(request), target);
  if (!transaction) {
    // Reported from the loop like every other outcome, so the caller never re-enters itself.
    boost::asio::post(io_context_, [done = std::move(done), to = net::to_string(target.destination)] {
      done(Outcome{std::nullopt, Failure::unreachable, "could not send to " + to});
    });
    return;
  }
  Pending pending{*transaction, std::move(done), nullptr};
  if (settings_.timeout.count() > 0) {
    pending.deadline = std::make_unique<boost::asio::steady_timer>(io_context_, settings_.timeout);
    pending.deadline->async_wait([this, id = *transaction](const boost::system::error_code& error) {
      if (error) return;
      finish(id, Outcome{std::nullopt, Failure::timeout,
                         "no final response within " + seconds_text(settings_.timeout) + " (--timeout)"});
    });
  }
  pending_.push_back(std::move(pending));
}

Outcome UserAgent::send(sip::Message request, const txn::Target& target) {
  std::optional<Outcome> outcome;
  send_async(std::move(request), target, [&outcome](Outcome result) { outcome = std::move(result); });
  io_context_.restart();
  while (!outcome && io_context_.run_one() > 0) {
  }
  if (!outcome) return Outcome{std::nullopt, Failure::unreachable, "event loop stopped"};
  return std::move(*outcome);
}

bool UserAgent::respond(txn::ServerTransactionId transaction, const sip::Message& response) {
  return table_.respond(transaction, response);
}

void UserAgent::run() {
  start_ticking();
  io_context_.restart();
  io_context_.run();
}

void UserAgent::stop() { io_context_.stop(); }

void UserAgent::start_ticking() {
  if (ticking_) return;
  ticking_ = true;
  schedule_tick();
}

void UserAgent::schedule_tick() {
  tick_.expires_after(kTick);
  tick_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    table_.advance(txn::Clock::now());
    schedule_tick();
  });
}

void UserAgent::finish(txn::ClientTransactionId transaction, Outcome outcome) {
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const Pending& pending) { return pending.transaction == transaction; });
  if (it == pending_.end()) return;
  OutcomeHandler done = std::move(it->done);
  if (it->deadline) it->deadline->cancel();
  pending_.erase(it);
  done(std::move(outcome));  // last: it may send the next request
}

std::string UserAgent::last_connection_error() const {
  const std::vector<std::string> lines = log_ring_->last_formatted();
  for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
    const std::size_t at = line->find(kClosedMarker);
    if (at == std::string::npos) continue;
    std::string reason = line->substr(at + kClosedMarker.size());
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r')) reason.pop_back();
    return reason;
  }
  return {};
}

void UserAgent::on_message(std::string_view bytes, const net::Flow& flow) {
  sip::ParseOptions options;
  options.stream = !net::is_message_framed(flow.protocol);  // §18.3: Content-Length is mandatory
  auto message = sip::Message::parse(std::string(bytes), options);
  // A broken message, or one the transaction layer cannot key on (§17.1.3, §17.2.3), is
  // dropped: a client tool owes no 400 to whoever sends it garbage. A request with nobody to
  // serve it is dropped too.
  if (!message || !message->top_via() || !message->cseq()) return;
  if (message->is_request()) {
    if (!request_handler_ || !message->call_id() || !message->from() || !message->to()) return;
    txn::stamp_received(*message, flow);  // §18.2.1, RFC 3581 §4: where our responses go
  }
  // §18.1.2: a response goes to the transaction layer, which matches it by its top Via.
  table_.receive(std::move(*message), flow);
}

void UserAgent::on_connection_closed(net::ConnectionId connection) {
  // The owner hears of the connection before the failures of the requests that were on it, so
  // it can tell "idle connection lost" from "my request failed".
  if (closed_handler_) closed_handler_();
  table_.on_connection_closed(connection);
}

void UserAgent::on_request(txn::ServerTransactionId transaction, const sip::Message& request,
                           const net::Flow& /*flow*/) {
  if (request_handler_) request_handler_(transaction, request);
}

void UserAgent::on_response(txn::ClientTransactionId transaction, const sip::Message& response) {
  if (response.status() < 200) return;
  auto copy = response.reparsed();  // an owning copy: the response's bytes are the transport's
  if (!copy) {
    finish(transaction, Outcome{std::nullopt, Failure::unreachable, "unreadable response"});
    return;
  }
  finish(transaction, Outcome{std::move(*copy), Failure::none, {}});
}

void UserAgent::on_client_failure(txn::ClientTransactionId transaction, int status) {
  if (status == 408) {
    // RFC 3261 §17.1.2.2: Timer F (64*T1) fired without a final response.
    const auto timer_f = settings_.timers.t1 * 64;
    finish(transaction,
           Outcome{std::nullopt, Failure::timeout,
                   "no final response within " +
                       seconds_text(std::chrono::duration_cast<std::chrono::milliseconds>(timer_f)) +
                       " (Timer F = 64*T1)"});
    return;
  }
  // §17.1.4, §8.1.3.1: a transport error (connection refused, reset, unreachable, TLS failure).
  std::string reason = last_connection_error();
  if (reason.empty()) reason = "connection failed or closed";
  finish(transaction, Outcome{std::nullopt, Failure::unreachable, "transport error (" + reason + ")"});
}

}  // namespace osprey::client
