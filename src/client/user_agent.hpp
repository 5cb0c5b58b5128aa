#pragma once
// The user agent client of the `osprey` tools: one io_context on the calling thread, a
// NetTransport bound on ephemeral ports, a TransactionTable driven by a 10 ms tick, and calls
// that run the loop until their answer is there. One request at a time, no threads.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <tl/expected.hpp>

#include "client/outcome.hpp"
#include "net/connection_counter.hpp"
#include "net/net_transport.hpp"
#include "net/target_resolver.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::client {

struct UserAgentSettings {
  txn::TimerSettings timers;  // RFC 3261 defaults: T1 500 ms, so Timer F fires after 32 s
  // Gives up waiting for a final response after this long; zero leaves it to Timer F alone.
  std::chrono::milliseconds timeout{0};
};

class UserAgent final : private net::TransportListener, private txn::TransactionUser {
 public:
  explicit UserAgent(UserAgentSettings settings);
  ~UserAgent() override;
  UserAgent(const UserAgent&) = delete;
  UserAgent& operator=(const UserAgent&) = delete;

  // Where requests for `uri` go (RFC 3263 in net::TargetResolver's simple form); waits for a
  // name lookup. The error is a reason for the user.
  tl::expected<net::ResolvedTarget, std::string> resolve(const sip::Uri& uri);

  // Binds a local socket of `protocol` on an ephemeral port, in the address family of `peer`:
  // a UDP socket for UDP; a TCP listener for TCP (the transaction layer needs one for the Via
  // sent-by; responses come back on the connection the request went out on). Returns the
  // address requests to `peer` are sent from (for Contact and Via).
  tl::expected<net::Endpoint, std::string> open(net::Protocol protocol, const net::Endpoint& peer);

  // Sends `request` (without Via) as a client transaction and runs the loop until its final
  // response, the transaction's failure (§17.1.1.2/§17.1.2.2 timeout, §17.1.4 transport error)
  // or the settings' timeout.
  Outcome send(sip::Message request, const txn::Target& target);

 private:
  void on_message(std::string_view bytes, const net::Flow& flow) override;
  void on_connection_closed(net::ConnectionId connection) override;
  void on_request(txn::ServerTransactionId, const sip::Message&, const net::Flow&) override {}
  void on_ack(const sip::Message&, const net::Flow&) override {}
  void on_cancel(txn::ServerTransactionId, const sip::Message&) override {}
  void on_response(txn::ClientTransactionId transaction, const sip::Message& response) override;
  void on_client_failure(txn::ClientTransactionId transaction, int status) override;
  void on_stray_response(const sip::Message&, const net::Flow&) override {}

  void schedule_tick();
  void finish(Outcome outcome);

  UserAgentSettings settings_;
  // Before the io_context: handlers it still holds when it is destroyed may own connections,
  // which log and release their count as they go.
  spdlog::logger logger_{"osprey-client"};  // no sinks: the tools report through their streams
  net::ConnectionCounter counter_{64, 64};
  boost::asio::io_context io_context_;
  net::NetTransport transport_;
  txn::TransactionTable table_;
  net::TargetResolver resolver_;
  boost::asio::steady_timer tick_;
  boost::asio::steady_timer deadline_;
  std::optional<txn::ClientTransactionId> pending_;
  std::optional<Outcome> outcome_;
};

}  // namespace osprey::client
