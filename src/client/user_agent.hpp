#pragma once
// The user agent of the `osprey` tools: one io_context on the calling thread, a NetTransport
// bound on ephemeral ports, a TransactionTable driven by a 10 ms tick. It sends requests as
// client transactions, one at a time and waiting (send) or several in flight (send_async), and,
// once a request handler is set, takes requests as server transactions and answers them
// (respond) while run() turns the loop. No threads.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <tl/expected.hpp>

#include "client/outcome.hpp"
#include "net/connection_counter.hpp"
#include "net/net_transport.hpp"
#include "net/target_resolver.hpp"
#include "net/tls_context_store.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::client {

struct UserAgentSettings {
  txn::TimerSettings timers;  // RFC 3261 defaults: T1 500 ms, so Timer F fires after 32 s
  // Gives up waiting for a final response after this long; zero leaves it to Timer F alone.
  std::chrono::milliseconds timeout{0};
  // The client TLS context (TlsContextStore::create_client); null: TLS is refused.
  std::shared_ptr<net::TlsContextStore> tls;
  // How names are resolved (RFC 3263): the DNS servers (default: the system's) and timeouts.
  net::DnsSettings dns;
};

// A new request from the network with its server transaction; answer it with respond().
using RequestHandler = std::function<void(txn::ServerTransactionId, const sip::Message&)>;
// The outcome of a request sent with send_async, called once, from the loop.
using OutcomeHandler = std::function<void(Outcome)>;

class UserAgent final : private net::TransportListener, private txn::TransactionUser {
 public:
  explicit UserAgent(UserAgentSettings settings);
  ~UserAgent() override;
  UserAgent(const UserAgent&) = delete;
  UserAgent& operator=(const UserAgent&) = delete;

  // Where requests for `uri` go (RFC 3263, net::TargetResolver: NAPTR, SRV, A/AAAA); waits
  // for the lookups. The error is a reason for the user.
  tl::expected<net::ResolvedTarget, std::string> resolve(const sip::Uri& uri);

  // Binds a local socket of `protocol` on an ephemeral port, in the address family of `peer`:
  // a UDP socket for UDP; a TCP or TLS listener for streams (the transaction layer needs one
  // for the Via sent-by; responses and requests to us come back on the connection the
  // request went out on). Returns the address requests to `peer` are sent from (for Contact
  // and Via).
  tl::expected<net::Endpoint, std::string> open(net::Protocol protocol, const net::Endpoint& peer);

  // Sends `request` (without Via) as a client transaction and runs the loop until its final
  // response, the transaction's failure (§17.1.1.2/§17.1.2.2 timeout, §17.1.4 transport error)
  // or the settings' timeout. Incoming requests are handled meanwhile.
  Outcome send(sip::Message request, const txn::Target& target);
  // The same without waiting: `done` gets the outcome from the loop (run(), or a later send).
  void send_async(sip::Message request, const txn::Target& target, OutcomeHandler done);

  // From now on, requests to this agent become server transactions handed to `handler`
  // (without one they are dropped: a tool that only sends serves nothing).
  void set_request_handler(RequestHandler handler) { request_handler_ = std::move(handler); }
  // Called when a stream connection closes (requests sent to us over it cannot come any more).
  void set_connection_closed_handler(std::function<void()> handler) { closed_handler_ = std::move(handler); }
  // The answer to a request given to the handler (§17.2: the transaction absorbs and answers
  // retransmissions itself). False when the transaction is gone or the transport failed.
  bool respond(txn::ServerTransactionId transaction, const sip::Message& response);

  // Runs the loop until stop(). Timers of the caller go on io_context().
  void run();
  void stop();
  boost::asio::io_context& io_context() { return io_context_; }

 private:
  struct Pending {
    txn::ClientTransactionId transaction;
    OutcomeHandler done;
    std::unique_ptr<boost::asio::steady_timer> deadline;  // the settings' timeout
  };

  void on_message(std::string_view bytes, const net::Flow& flow) override;
  void on_connection_closed(net::ConnectionId connection) override;
  void on_request(txn::ServerTransactionId transaction, const sip::Message& request,
                  const net::Flow& flow) override;
  void on_ack(const sip::Message&, const net::Flow&) override {}
  void on_cancel(txn::ServerTransactionId, const sip::Message&) override {}
  void on_response(txn::ClientTransactionId transaction, const sip::Message& response) override;
  void on_client_failure(txn::ClientTransactionId transaction, int status) override;
  void on_stray_response(const sip::Message&, const net::Flow&) override {}

  void start_ticking();
  void schedule_tick();
  // Ends pending request `transaction` with `outcome`; nothing when it is not pending.
  void finish(txn::ClientTransactionId transaction, Outcome outcome);
  // Why the last stream connection closed, from the transport's log ("TLS handshake failed:
  // certificate verify failed"); empty when it said nothing.
  std::string last_connection_error() const;

  UserAgentSettings settings_;
  // Before the io_context: handlers it still holds when it is destroyed may own connections,
  // which log and release their count as they go. The log goes to a small ring, read back for
  // the reason of a failed connection; the tools report through their own streams.
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_st> log_ring_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_st>(16);
  spdlog::logger logger_{"osprey-client", log_ring_};
  net::ConnectionCounter counter_{64, 64};
  boost::asio::io_context io_context_;
  net::NetTransport transport_;
  txn::TransactionTable table_;
  net::TargetResolver resolver_;
  boost::asio::steady_timer tick_;
  bool ticking_ = false;
  std::vector<Pending> pending_;
  RequestHandler request_handler_;
  std::function<void()> closed_handler_;
};

}  // namespace osprey::client
