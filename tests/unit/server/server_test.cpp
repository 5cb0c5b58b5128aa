#include "server/server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "server/udp_client.hpp"
#include "temp_dir.hpp"

namespace osprey::server {
namespace {

using testing::request_text;
using testing::UdpClient;

// Whether a plain UDP socket can bind 127.0.0.1:port (the server's sockets use SO_REUSEPORT:
// one without it cannot share the port while they are open).
bool port_free(std::uint16_t port) {
  const int probe = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  at.sin_port = htons(port);
  const bool bound = ::bind(probe, reinterpret_cast<const sockaddr*>(&at), sizeof at) == 0;
  ::close(probe);
  return bound;
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    settings_.workers = 2;
    settings_.listen.push_back({net::Protocol::udp, {boost::asio::ip::make_address("127.0.0.1"), 0}});
    settings_.domains = {"example.com"};
    settings_.data_dir = data_dir_.path().string();
    settings_.security.scanner_user_agents = {"friendly-scanner"};
  }

  std::unique_ptr<Server> start() {
    auto server = Server::start(settings_, logger_);
    EXPECT_TRUE(server) << (server ? "" : server.error());
    if (!server) return nullptr;
    EXPECT_EQ((*server)->bound().size(), 1u);
    port_ = (*server)->bound().front().endpoint.port;
    return std::move(*server);
  }

  test_support::TempDir data_dir_;
  spdlog::logger logger_{"server_test", std::make_shared<spdlog::sinks::null_sink_mt>()};
  ServerSettings settings_;
  std::uint16_t port_ = 0;
};

TEST_F(ServerTest, OptionsToOspreyGets200) {
  auto server = start();
  ASSERT_TRUE(server);
  EXPECT_NE(port_, 0);  // port 0: the system picked one, and every worker bound it
  UdpClient client;
  client.send(request_text("OPTIONS", "sip:127.0.0.1", "sip:127.0.0.1", "options-1"), port_);
  auto answer = client.receive();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status(), 200);
  EXPECT_FALSE(answer->to()->tag().empty());
  EXPECT_EQ(server->messages(), 1u);
}

TEST_F(ServerTest, RegisterWithoutCredentialsGets401WithAChallenge) {
  auto server = start();
  ASSERT_TRUE(server);
  UdpClient client;
  client.send(request_text("REGISTER", "sip:example.com", "sip:alice@example.com", "register-1"), port_);
  auto answer = client.receive();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status(), 401);
  EXPECT_GE(answer->count(sip::HeaderId::www_authenticate), 1u);
  EXPECT_EQ(server->bindings(), 0u);
}

// An attack tool's request is dropped before the transaction layer: no answer at all.
TEST_F(ServerTest, AScannerGetsNoAnswer) {
  auto server = start();
  ASSERT_TRUE(server);
  UdpClient client;
  client.send(request_text("OPTIONS", "sip:100@127.0.0.1", "sip:100@127.0.0.1", "scan-1",
                           "User-Agent: friendly-scanner\r\n"),
              port_);
  EXPECT_FALSE(client.receive(300));
  // The same request from a phone is answered: the silence was the scanner filter's.
  client.send(request_text("OPTIONS", "sip:127.0.0.1", "sip:127.0.0.1", "scan-2", "User-Agent: Linphone\r\n"),
              port_);
  EXPECT_TRUE(client.receive());
}

TEST_F(ServerTest, StopReturnsAndClosesTheSockets) {
  auto server = start();
  ASSERT_TRUE(server);
  EXPECT_FALSE(port_free(port_));
  server->stop();
  EXPECT_TRUE(port_free(port_));
  server->stop();  // idempotent
}

}  // namespace
}  // namespace osprey::server
