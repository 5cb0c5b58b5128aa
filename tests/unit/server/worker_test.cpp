#include "server/worker.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "server/udp_client.hpp"
#include "store/memory_location_store.hpp"

namespace osprey::server {
namespace {

using testing::request_text;
using testing::UdpClient;

// One worker on its own, as the Server makes each: no accounts, no security attached.
class WorkerTest : public ::testing::Test {
 protected:
  WorkerTest() {
    settings_.domains = {"example.com"};
    auto bound = worker_.listen({net::Protocol::udp, {boost::asio::ip::make_address("127.0.0.1"), 0}});
    EXPECT_TRUE(bound) << (bound ? "" : bound.error());
    if (bound) port_ = bound->port;
    worker_.start();
  }
  ~WorkerTest() override { worker_.stop(); }

  ServerSettings settings_;
  spdlog::logger logger_{"worker_test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  net::ConnectionCounter counter_{16, 16};
  net::ConnectionDirectory directory_;
  store::MemoryLocationStore location_;
  Worker worker_{0, settings_, counter_, directory_, nullptr, location_, logger_};
  std::uint16_t port_ = 0;
};

TEST_F(WorkerTest, AnswersOptionsThroughItsTransactionTable) {
  UdpClient client;
  client.send(request_text("OPTIONS", "sip:127.0.0.1", "sip:127.0.0.1", "w-options"), port_);
  auto answer = client.receive();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status(), 200);
  // A retransmission is absorbed by the server transaction and answered again, not handled twice.
  client.send(request_text("OPTIONS", "sip:127.0.0.1", "sip:127.0.0.1", "w-options"), port_);
  ASSERT_TRUE(client.receive());
  EXPECT_EQ(worker_.counters().messages.load(), 2u);
}

// Too broken for a transaction (no Call-ID) but with a readable Via: answered 400 statelessly.
TEST_F(WorkerTest, AnswersABrokenRequestStatelessly) {
  std::string text = request_text("OPTIONS", "sip:127.0.0.1", "sip:127.0.0.1", "w-broken");
  text.erase(text.find("Call-ID:"), text.find("\r\n", text.find("Call-ID:")) + 2 - text.find("Call-ID:"));
  UdpClient client;
  client.send(text, port_);
  auto answer = client.receive();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status(), 400);
  EXPECT_EQ(worker_.counters().stateless_replies.load(), 1u);
}

// RFC 5626 §4.4.1: a CRLF keep-alive is neither answered nor counted as a dropped message.
TEST_F(WorkerTest, IgnoresAKeepAlive) {
  UdpClient client;
  client.send("\r\n\r\n", port_);
  EXPECT_FALSE(client.receive(300));
  EXPECT_EQ(worker_.counters().dropped.load(), 0u);
  EXPECT_EQ(worker_.counters().stateless_replies.load(), 0u);
}

// RFC 5626 §4.4.2: a STUN Binding request on the SIP UDP port is answered with the sender's
// XOR-MAPPED-ADDRESS, never parsed as SIP (no 400, nothing dropped); a malformed one is dropped.
TEST_F(WorkerTest, AnswersAStunKeepAliveAndDropsAMalformedOne) {
  UdpClient client;
  const std::string request = std::string("\x00\x01\x00\x00\x21\x12\xA4\x42", 8) + "0123456789ab";
  client.send(request, port_);
  const auto answer = client.receive_bytes();
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->size(), 32u);
  EXPECT_EQ(answer->substr(0, 2), std::string("\x01\x01", 2));
  EXPECT_EQ(answer->substr(8, 12), "0123456789ab");
  const auto byte = [&answer](std::size_t at) { return static_cast<unsigned char>((*answer)[at]); };
  EXPECT_EQ(static_cast<std::uint16_t>(((byte(26) << 8) | byte(27)) ^ 0x2112), client.port());
  EXPECT_EQ(worker_.counters().stun_answered.load(), 1u);
  EXPECT_EQ(worker_.counters().stateless_replies.load(), 0u);
  EXPECT_EQ(worker_.counters().dropped.load(), 0u);

  client.send(request.substr(0, 19), port_);  // too short to be STUN: not SIP either, dropped
  client.send(std::string("\x00\x01\x00\x04\x21\x12\xA4\x42", 8) + "0123456789ab", port_);  // wrong length
  EXPECT_FALSE(client.receive_bytes(300));
  EXPECT_EQ(worker_.counters().stun_answered.load(), 1u);
  EXPECT_EQ(worker_.counters().stateless_replies.load(), 0u);
}

}  // namespace
}  // namespace osprey::server
