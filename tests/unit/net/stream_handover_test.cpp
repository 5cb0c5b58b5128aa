// Two NetTransports on two io_contexts sharing a ConnectionDirectory, as two workers do: a
// connection accepted by one is used by the other (RFC 3261 §18.2.2, RFC 5626 §5.3: a peer
// behind NAT is reachable only over the connection it opened). Both io_contexts run on the
// test's thread, each with a deadline.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>

#include "net/connection_counter.hpp"
#include "net/connection_directory.hpp"
#include "net/net_transport.hpp"
#include "net/stream_test_support.hpp"
#include "net/test_pki.hpp"
#include "net/tls_context_store.hpp"

namespace osprey::net {
namespace {

using namespace std::chrono_literals;
using testing::kLoopback4;
using testing::RecordingListener;
using testing::sip_request;
using testing::TcpPeer;
using testing::TlsPeer;
namespace asio = boost::asio;
constexpr ConnectionReuse kPeerFlow = ConnectionReuse::peer_flow;  // the phone's own flow

// One worker's transport: its own io_context, listener and NetTransport.
struct Worker {
  Worker(ConnectionCounter& counter, ConnectionDirectory& directory, spdlog::logger& logger,
         std::shared_ptr<TlsContextStore> tls = nullptr)
      : transport(io, listener, StreamLimits{}, counter, std::move(tls), logger, &directory) {}
  asio::io_context io;
  RecordingListener listener;
  NetTransport transport;
};

class StreamHandoverTest : public ::testing::Test {
 protected:
  void SetUp() override { start_workers(nullptr); }
  void start_workers(const std::shared_ptr<TlsContextStore>& tls) {
    first_ = std::make_unique<Worker>(counter_, directory_, *logger_, tls);
    second_ = std::make_unique<Worker>(counter_, directory_, *logger_, tls);
  }

  // Runs both workers' loops and the peers' until `done()` or the deadline.
  template <typename Predicate>
  bool run_until(Predicate done, std::chrono::milliseconds deadline = 5s) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= end) return false;
      for (asio::io_context* io : {&first_->io, &second_->io, &peers_}) {
        io->restart();
        io->poll();
      }
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  // A phone connected to the first worker's TCP listener that sent one request on it, as a
  // REGISTER would come; returns that listener's endpoint, nullopt if any step failed.
  std::optional<Endpoint> connect_phone(TcpPeer& phone) {
    auto bound = first_->transport.listen(Protocol::tcp, {kLoopback4, 0});
    if (!bound || !phone.connect(*bound)) return std::nullopt;
    phone.write(sip_request("register"));
    if (!run_until([&] { return first_->listener.messages.size() == 1; })) return std::nullopt;
    return *bound;
  }

  std::shared_ptr<spdlog::logger> logger_ = testing::test_logger();
  ConnectionCounter counter_{100, 10};
  ConnectionDirectory directory_;
  asio::io_context peers_;  // the test's clients
  std::unique_ptr<Worker> first_;
  std::unique_ptr<Worker> second_;
};

TEST_F(StreamHandoverTest, SendToThroughAnotherWorkerArrivesOnTheAcceptedConnection) {
  TcpPeer phone(peers_);
  ASSERT_TRUE(connect_phone(phone));
  const Flow accepted = first_->listener.messages[0].flow;

  // The second worker has no connection to the phone: without the directory it would connect
  // to the phone's ephemeral port and be refused.
  const std::string request = sip_request("from-second", "hello");
  const auto flow = second_->transport.send_to(Protocol::tcp, phone.local(), request, {}, kPeerFlow);
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->connection, accepted.connection);
  ASSERT_TRUE(run_until([&] { return phone.received() == request; }));

  // The rest of the transaction stays on that flow (an ACK for a non-2xx, §17.1.1.3).
  EXPECT_TRUE(second_->transport.send(*flow, "ACK"));
  ASSERT_TRUE(run_until([&] { return phone.received() == request + "ACK"; }));
  EXPECT_EQ(second_->transport.streams().connection_count(), 0u);  // no connection of its own
  EXPECT_EQ(first_->transport.streams().connection_count(), 1u);
  EXPECT_EQ(counter_.total(), 1u);
}

// RFC 5923 §5, §11: a destination that is not the phone's own flow (a Contact naming its
// address and port) gets no request over the connection the phone opened, from any worker:
// the second worker connects itself, to the phone's ephemeral port, and is refused.
TEST_F(StreamHandoverTest, OutboundOnlySendToNeverUsesAnotherWorkersAcceptedConnection) {
  TcpPeer phone(peers_);
  ASSERT_TRUE(connect_phone(phone));
  const Flow accepted = first_->listener.messages[0].flow;

  const auto flow = second_->transport.send_to(Protocol::tcp, phone.local(), sip_request("steered"), {},
                                               ConnectionReuse::outbound_only);
  ASSERT_TRUE(flow);
  EXPECT_NE(flow->connection, accepted.connection);
  EXPECT_EQ(second_->transport.streams().connection_count(), 1u);  // its own attempt
  ASSERT_TRUE(run_until([&] { return second_->listener.closed.size() == 1; }));
  EXPECT_EQ(second_->listener.closed[0], flow->connection);
  run_until([] { return false; }, 100ms);
  EXPECT_EQ(phone.received(), "");
  EXPECT_FALSE(phone.ended());  // the phone's own connection is untouched
}

TEST_F(StreamHandoverTest, ConnectionIdsOfTwoWorkersNeverCollide) {
  TcpPeer phone(peers_);
  const auto bound = connect_phone(phone);
  ASSERT_TRUE(bound);
  // The second worker opens a connection of its own, to the first one's listener.
  const auto outbound = second_->transport.send_to(Protocol::tcp, *bound, sip_request("two"));
  ASSERT_TRUE(outbound);
  ASSERT_TRUE(run_until([&] { return first_->listener.messages.size() == 2; }));
  // A response handed between workers keeps the flow of the worker that read it: the ids of
  // different workers must not be confused.
  EXPECT_NE(outbound->connection, first_->listener.messages[0].flow.connection);
  EXPECT_NE(outbound->connection, first_->listener.messages[1].flow.connection);
  EXPECT_NE(ConnectionDirectory::member_of(outbound->connection),
            ConnectionDirectory::member_of(first_->listener.messages[0].flow.connection));
}

TEST_F(StreamHandoverTest, AfterTheOwnerClosedTheSenderConnectsItself) {
  TcpPeer phone(peers_);
  ASSERT_TRUE(connect_phone(phone));
  first_->transport.close();  // the first worker stops: its connections go, and it leaves
  ASSERT_TRUE(run_until([&] { return phone.ended(); }));
  EXPECT_FALSE(directory_.find(Protocol::tcp, phone.local(), ConnectionRole::accepted));
  const auto flow =
      second_->transport.send_to(Protocol::tcp, phone.local(), sip_request("late"), {}, kPeerFlow);
  ASSERT_TRUE(flow);  // a connection of its own, which fails later (nothing listens there)
  EXPECT_EQ(second_->transport.streams().connection_count(), 1u);
  ASSERT_TRUE(run_until([&] { return second_->listener.closed.size() == 1; }));
  EXPECT_EQ(second_->listener.closed[0], flow->connection);
}

class StreamHandoverTlsTest : public StreamHandoverTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok());
    ASSERT_TRUE(pki_.make_ca("ca"));
    ASSERT_TRUE(pki_.make_leaf("ca", "server", "server.osprey.test", 1001));
    TlsFiles files;
    files.certificate = pki_.certificate("server");
    files.private_key = pki_.key("server");
    files.ca_file = pki_.certificate("ca");
    auto created = TlsContextStore::create(files);
    ASSERT_TRUE(created) << created.error();
    start_workers(*created);
  }
  testing::TestPki pki_;
};

TEST_F(StreamHandoverTlsTest, TlsConnectionOfOneWorkerCarriesAnothersRequest) {
  auto bound = first_->transport.listen(Protocol::tls, {kLoopback4, 0});
  ASSERT_TRUE(bound) << bound.error();
  TlsPeer phone(peers_, pki_.certificate("ca"));
  // The handshake runs the peer's loop on this thread; the first worker's runs meanwhile.
  std::atomic<bool> connected{false};
  std::thread server_side([&] {
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (!connected && std::chrono::steady_clock::now() < end) {
      first_->io.restart();
      first_->io.run_for(10ms);
    }
  });
  const bool handshaken = phone.connect(peers_, *bound);
  connected = true;
  server_side.join();
  ASSERT_TRUE(handshaken);
  phone.write(peers_, sip_request("register"));
  ASSERT_TRUE(run_until([&] { return first_->listener.messages.size() == 1; }));
  const Flow accepted = first_->listener.messages[0].flow;

  // A sips: Contact naming the phone's address and port is not the phone's flow: the TLS
  // connection it opened was never verified as that URI's host (RFC 5923 §11).
  const auto steered = second_->transport.send_to(Protocol::tls, accepted.remote, sip_request("steered"), {},
                                                  ConnectionReuse::outbound_only);
  ASSERT_TRUE(steered);
  EXPECT_NE(steered->connection, accepted.connection);
  ASSERT_TRUE(run_until([&] { return second_->listener.closed.size() == 1; }));

  const std::string request = sip_request("over-tls", "hi");
  const auto flow = second_->transport.send_to(Protocol::tls, accepted.remote, request, {}, kPeerFlow);
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->connection, accepted.connection);
  ASSERT_TRUE(run_until([&] { return phone.received() == request; }));  // and nothing before it
  EXPECT_EQ(second_->transport.streams().connection_count(), 0u);
}

}  // namespace
}  // namespace osprey::net
