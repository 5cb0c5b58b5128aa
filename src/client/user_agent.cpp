#include "client/user_agent.hpp"

#include <boost/asio/ip/address.hpp>

namespace osprey::client {

namespace {
// The timer wheel's resolution, as in the server's workers.
constexpr std::chrono::milliseconds kTick{10};

std::string seconds_text(std::chrono::milliseconds duration) {
  const auto count = duration.count();
  if (count % 1000 == 0) return std::to_string(count / 1000) + " s";
  return std::to_string(count) + " ms";
}
}  // namespace

UserAgent::UserAgent(UserAgentSettings settings)
    : settings_(settings),
      transport_(io_context_, *this, net::StreamLimits{}, counter_, nullptr, logger_),
      table_(transport_, *this, settings.timers, txn::Clock::now()),
      resolver_(io_context_),
      tick_(io_context_),
      deadline_(io_context_) {}

UserAgent::~UserAgent() {
  // Close sockets and connections while the table and transport still exist, and let the
  // aborted handlers run, so nothing outlives what it points to.
  tick_.cancel();
  deadline_.cancel();
  pending_.reset();
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
  if (*result && (*result)->endpoints.empty()) return tl::unexpected(std::string("no address"));
  return std::move(*result);
}

tl::expected<net::Endpoint, std::string> UserAgent::open(net::Protocol protocol, const net::Endpoint& peer) {
  if (protocol == net::Protocol::tls)
    return tl::unexpected(std::string("TLS is not supported by the client yet"));
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

Outcome UserAgent::send(sip::Message request, const txn::Target& target) {
  outcome_.reset();
  pending_ = table_.send_request(std::move(request), target);
  if (!pending_) {
    return Outcome{std::nullopt, Failure::unreachable,
                   "could not send to " + net::to_string(target.destination)};
  }
  io_context_.restart();
  schedule_tick();
  if (settings_.timeout.count() > 0) {
    deadline_.expires_after(settings_.timeout);
    deadline_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      finish(Outcome{std::nullopt, Failure::timeout,
                     "no final response within " + seconds_text(settings_.timeout) + " (--timeout)"});
    });
  }
  while (!outcome_ && io_context_.run_one() > 0) {
  }
  tick_.cancel();
  deadline_.cancel();
  pending_.reset();
  if (!outcome_) return Outcome{std::nullopt, Failure::unreachable, "event loop stopped"};
  return std::move(*outcome_);
}

void UserAgent::schedule_tick() {
  tick_.expires_after(kTick);
  tick_.async_wait([this](const boost::system::error_code& error) {
    if (error || outcome_) return;
    table_.advance(txn::Clock::now());
    schedule_tick();
  });
}

void UserAgent::finish(Outcome outcome) {
  if (outcome_) return;
  outcome_ = std::move(outcome);
}

void UserAgent::on_message(std::string_view bytes, const net::Flow& flow) {
  sip::ParseOptions options;
  options.stream = flow.protocol != net::Protocol::udp;  // §18.3: Content-Length is mandatory
  auto message = sip::Message::parse(std::string(bytes), options);
  // A request to this client (it serves nothing) or a broken message is dropped; §18.1.2: a
  // response goes to the transaction layer, which matches it by its top Via.
  if (!message || !message->is_response() || !message->top_via() || !message->cseq()) return;
  table_.receive(std::move(*message), flow);
}

void UserAgent::on_connection_closed(net::ConnectionId connection) {
  table_.on_connection_closed(connection);
}

void UserAgent::on_response(txn::ClientTransactionId transaction, const sip::Message& response) {
  if (!pending_ || !(transaction == *pending_) || response.status() < 200) return;
  auto copy = sip::Message::parse(response.serialize());
  if (!copy) {
    finish(Outcome{std::nullopt, Failure::unreachable, "unreadable response"});
    return;
  }
  finish(Outcome{std::move(*copy), Failure::none, {}});
}

void UserAgent::on_client_failure(txn::ClientTransactionId transaction, int status) {
  if (!pending_ || !(transaction == *pending_)) return;
  if (status == 408) {
    // RFC 3261 §17.1.2.2: Timer F (64*T1) fired without a final response.
    const auto timer_f = settings_.timers.t1 * 64;
    finish(Outcome{std::nullopt, Failure::timeout,
                   "no final response within " +
                       seconds_text(std::chrono::duration_cast<std::chrono::milliseconds>(timer_f)) +
                       " (Timer F = 64*T1)"});
    return;
  }
  // §17.1.4, §8.1.3.1: a transport error (connection refused, reset, unreachable).
  finish(Outcome{std::nullopt, Failure::unreachable, "transport error (connection failed or closed)"});
}

}  // namespace osprey::client
