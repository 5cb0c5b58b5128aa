// The client core end to end on 127.0.0.1: a plain UDP socket in a thread plays the server.
#include "client/client_request.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "client/request_factory.hpp"
#include "sip/builder.hpp"

namespace osprey::client {
namespace {

// A UDP socket on 127.0.0.1 that answers the first request it gets with `status`.
class FakeServer {
 public:
  explicit FakeServer(int status) : status_(status) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeServer() {
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  const std::string& received() const { return received_; }

 private:
  void serve() {
    char buffer[65536];
    sockaddr_in peer{};
    socklen_t length = sizeof peer;
    const ssize_t size =
        ::recvfrom(fd_, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &length);
    if (size <= 0) return;
    received_.assign(buffer, static_cast<std::size_t>(size));
    auto request = sip::Message::parse(received_);
    if (!request) return;
    const std::string reply = sip::MessageBuilder::response_to(*request, status_, {}, "srv1")
                                  .header("Allow", "OPTIONS, MESSAGE")
                                  .serialize();
    ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
  }

  int status_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string received_;
  std::thread thread_;
};

RequestMaker options_maker(const std::string& uri) {
  return [uri](const net::Endpoint& local, net::Protocol) {
    return build_options(fresh_ids(), uri, "sip:osprey@" + net::host_text(local.address));
  };
}

TEST(ClientRequest, FinalResponseComesBack) {
  FakeServer server(200);
  const std::string uri = "sip:127.0.0.1:" + std::to_string(server.port());
  ClientSettings settings;
  settings.timeout = std::chrono::seconds(5);
  const Outcome outcome = send_request(uri, settings, options_maker(uri));
  ASSERT_TRUE(outcome.response) << outcome.detail;
  EXPECT_EQ(outcome.response->status(), 200);
  EXPECT_EQ(outcome.response->first_value("Allow"), "OPTIONS, MESSAGE");
  EXPECT_EQ(exit_code_of(outcome), kExitSuccess);
  EXPECT_NE(server.received().find("Via: SIP/2.0/UDP 127.0.0.1:"), std::string::npos) << server.received();
}

TEST(ClientRequest, NonSuccessIsExit1) {
  FakeServer server(480);
  const std::string uri = "sip:127.0.0.1:" + std::to_string(server.port());
  ClientSettings settings;
  settings.timeout = std::chrono::seconds(5);
  const Outcome outcome = send_request(uri, settings, options_maker(uri));
  ASSERT_TRUE(outcome.response) << outcome.detail;
  EXPECT_EQ(exit_code_of(outcome), kExitRejected);
}

TEST(ClientRequest, ServerOverridesTheDestination) {
  FakeServer server(200);
  ClientSettings settings;
  settings.server = "127.0.0.1:" + std::to_string(server.port());
  settings.timeout = std::chrono::seconds(5);
  const std::string uri = "sip:bob@example.invalid";
  const Outcome outcome = send_request(uri, settings, options_maker(uri));
  ASSERT_TRUE(outcome.response) << outcome.detail;
  EXPECT_NE(server.received().find("OPTIONS sip:bob@example.invalid SIP/2.0"), std::string::npos);
}

TEST(ClientRequest, SilenceTimesOut) {
  // A bound socket that never answers.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string uri = "sip:127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  ClientSettings settings;
  settings.timeout = std::chrono::milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const Outcome outcome = send_request(uri, settings, options_maker(uri));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(outcome.failure, Failure::timeout);
  EXPECT_EQ(exit_code_of(outcome), kExitNoAnswer);
  ::close(fd);
}

TEST(ClientRequest, TimerFEndsTheTransactionWithAShortT1) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string uri = "sip:127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  ClientSettings settings;
  settings.timers.t1 = std::chrono::milliseconds(10);  // Timer F = 640 ms
  const Outcome outcome = send_request(uri, settings, options_maker(uri));
  EXPECT_EQ(outcome.failure, Failure::timeout);
  EXPECT_NE(outcome.detail.find("Timer F"), std::string::npos) << outcome.detail;
  ::close(fd);
}

}  // namespace
}  // namespace osprey::client
