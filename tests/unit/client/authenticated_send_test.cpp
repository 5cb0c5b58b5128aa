// The client tools' requests through a Digest challenge end to end on 127.0.0.1: a plain UDP
// socket in a thread plays a registrar that challenges (401, SHA-256 then MD5 like osprey's
// server) and checks the credentials with the account's password.
#include "client/authenticated_send.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "client/client_request.hpp"
#include "client/request_factory.hpp"
#include "security/digest_hash.hpp"
#include "sip/auth_headers.hpp"
#include "sip/builder.hpp"

namespace osprey::client {
namespace {

// Answers up to `expected` requests with what `answer` builds from each (and its index), then
// stops; a request that does not come within 5 s stops it too.
class ScriptedServer {
 public:
  using Answer = std::function<std::string(const sip::Message& request, std::size_t index)>;

  ScriptedServer(std::size_t expected, Answer answer) : expected_(expected), answer_(std::move(answer)) {
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
  ~ScriptedServer() {
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  // The requests received, as bytes; read after the exchange ended.
  std::vector<std::string> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void serve() {
    char buffer[65536];
    for (std::size_t index = 0; index < expected_; ++index) {
      sockaddr_in peer{};
      socklen_t length = sizeof peer;
      const ssize_t size =
          ::recvfrom(fd_, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &length);
      if (size <= 0) return;
      std::string bytes(buffer, static_cast<std::size_t>(size));
      {
        std::lock_guard lock(mutex_);
        received_.push_back(bytes);
      }
      auto request = sip::Message::parse(bytes);
      if (!request) return;
      const std::string reply = answer_(*request, index);
      ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
    }
  }

  std::size_t expected_;
  Answer answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> received_;
  std::thread thread_;
};

constexpr std::string_view kRealm = "osprey.test";

std::string challenge_401(const sip::Message& request, std::string_view nonce, bool stale = false) {
  auto builder = sip::MessageBuilder::response_to(request, 401, {}, "srv1");
  for (std::string_view algorithm : {"SHA-256", "MD5"}) {
    std::vector<sip::AuthField> fields{
        {"realm", kRealm}, {"nonce", nonce}, {"algorithm", algorithm}, {"qop", "auth"}, {"opaque", "op1"}};
    if (stale) fields.push_back({"stale", "true"});
    builder.header("WWW-Authenticate", sip::format_challenge("Digest", fields));
  }
  return builder.serialize();
}

// What a registrar checks (RFC 7616 §3.4.1), with the password it knows.
bool credentials_match(const sip::Message& request, std::string_view password) {
  auto value = request.first_value(sip::HeaderId::authorization);
  if (!value) return false;
  auto credentials = sip::parse_credentials(*value);
  if (!credentials || !credentials->username() || !credentials->nonce() || !credentials->uri() ||
      !credentials->cnonce() || !credentials->get("nc"))
    return false;
  const sip::DigestAlgorithm algorithm = credentials->algorithm();
  const auto ha1 = security::digest_ha1(algorithm, *credentials->username(), kRealm, password);
  const auto ha2 = security::digest_hex(algorithm, {request.method_text(), *credentials->uri()});
  const auto expected = security::digest_hex(
      algorithm,
      {*ha1, *credentials->nonce(), credentials->unquoted("nc"), *credentials->cnonce(), "auth", *ha2});
  return credentials->response() == *expected && credentials->opaque() == "op1";
}

std::string reply(const sip::Message& request, int status) {
  return sip::MessageBuilder::response_to(request, status, {}, "srv1").serialize();
}

ClientSettings settings_for(const ScriptedServer& server, std::optional<DigestAccount> account) {
  ClientSettings settings;
  settings.server = "127.0.0.1:" + std::to_string(server.port());
  settings.timeout = std::chrono::seconds(5);
  settings.account = std::move(account);
  return settings;
}

RequestMaker register_maker() {
  return [ids = fresh_ids()](const net::Endpoint& local, net::Protocol protocol) {
    return build_register(ids, "sip:alice@osprey.test", contact_uri(local, protocol), 600);
  };
}

sip::Message parsed(const std::string& bytes) {
  auto message = sip::Message::parse(bytes);
  EXPECT_TRUE(message);
  return std::move(*message);
}

TEST(AuthenticatedSend, ChallengeThenOk) {
  ScriptedServer server(2, [](const sip::Message& request, std::size_t index) {
    if (index == 0) return challenge_401(request, "nonce-1");
    return reply(request, credentials_match(request, "secret") ? 200 : 403);
  });
  const Outcome outcome = send_request(
      "sip:alice@osprey.test", settings_for(server, DigestAccount{"alice", "secret"}), register_maker());
  ASSERT_TRUE(outcome.response) << outcome.detail;
  EXPECT_EQ(outcome.response->status(), 200);
  EXPECT_EQ(exit_code_of(outcome), kExitSuccess);
  const auto received = server.received();
  ASSERT_EQ(received.size(), 2u);
  const sip::Message first = parsed(received[0]);
  const sip::Message second = parsed(received[1]);
  EXPECT_FALSE(first.first_value(sip::HeaderId::authorization));
  // RFC 3261 §22.2, §8.1.3.5: CSeq+1, same Call-ID and From tag, SHA-256 chosen.
  EXPECT_EQ(second.cseq()->number, first.cseq()->number + 1);
  EXPECT_EQ(second.call_id(), first.call_id());
  EXPECT_EQ(second.from()->tag(), first.from()->tag());
  auto credentials = sip::parse_credentials(*second.first_value(sip::HeaderId::authorization));
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->algorithm(), sip::DigestAlgorithm::sha256);
  EXPECT_EQ(credentials->username(), "alice");
  EXPECT_NE(first.top_via()->branch, second.top_via()->branch);  // a new transaction
}

TEST(AuthenticatedSend, WrongPasswordStopsAtTheSecondChallenge) {
  ScriptedServer server(3, [](const sip::Message& request, std::size_t index) {
    if (credentials_match(request, "secret")) return reply(request, 200);
    return challenge_401(request, "nonce-" + std::to_string(index));
  });
  const Outcome outcome = send_request(
      "sip:alice@osprey.test", settings_for(server, DigestAccount{"alice", "wrong"}), register_maker());
  ASSERT_TRUE(outcome.response) << outcome.detail;
  EXPECT_EQ(outcome.response->status(), 401);
  EXPECT_EQ(exit_code_of(outcome), kExitRejected);
  EXPECT_NE(outcome.detail.find("refused"), std::string::npos) << outcome.detail;
  EXPECT_EQ(server.received().size(), 2u);
}

TEST(AuthenticatedSend, StaleNonceIsRetried) {
  ScriptedServer server(3, [](const sip::Message& request, std::size_t index) {
    if (index == 0) return challenge_401(request, "old");
    if (index == 1) return challenge_401(request, "new", true);  // RFC 7616 §3.3
    return reply(request, credentials_match(request, "secret") ? 200 : 403);
  });
  const Outcome outcome = send_request(
      "sip:alice@osprey.test", settings_for(server, DigestAccount{"alice", "secret"}), register_maker());
  ASSERT_TRUE(outcome.response) << outcome.detail;
  EXPECT_EQ(outcome.response->status(), 200);
  const auto received = server.received();
  ASSERT_EQ(received.size(), 3u);
  const sip::Message last = parsed(received[2]);
  EXPECT_EQ(last.cseq()->number, 3u);
  EXPECT_NE(last.first_value(sip::HeaderId::authorization)->find("nonce=\"new\""), std::string::npos);
}

TEST(AuthenticatedSend, WithoutAPasswordTheChallengeIsFinal) {
  ScriptedServer server(1,
                        [](const sip::Message& request, std::size_t) { return challenge_401(request, "n"); });
  const Outcome outcome =
      send_request("sip:alice@osprey.test", settings_for(server, std::nullopt), register_maker());
  ASSERT_TRUE(outcome.response) << outcome.detail;
  EXPECT_EQ(outcome.response->status(), 401);
  EXPECT_EQ(exit_code_of(outcome), kExitRejected);
  EXPECT_EQ(server.received().size(), 1u);
}

TEST(AuthenticatedSend, AsyncRoundsReportTheLastCSeq) {
  ScriptedServer server(2, [](const sip::Message& request, std::size_t index) {
    if (index == 0) return challenge_401(request, "nonce-1");
    return reply(request, credentials_match(request, "secret") ? 200 : 403);
  });
  ClientSettings settings = settings_for(server, std::nullopt);
  auto prepared = prepare_agent("sip:alice@osprey.test", settings);
  ASSERT_TRUE(prepared) << prepared.error().detail;
  const net::Endpoint peer = prepared->resolved.hops.at(0).endpoint;
  auto local = prepared->agent->open(net::Protocol::udp, peer);
  ASSERT_TRUE(local) << local.error();
  const txn::Target target{net::Protocol::udp, peer, {}};
  auto request = register_maker()(*local, net::Protocol::udp);
  ASSERT_TRUE(request);
  DigestCredentials credentials(DigestAccount{"alice", "secret"});
  std::optional<AuthenticatedOutcome> result;
  send_authenticated_async(*prepared->agent, std::move(*request), target, &credentials,
                           [&](AuthenticatedOutcome sent) {
                             result = std::move(sent);
                             prepared->agent->stop();
                           });
  prepared->agent->run();
  ASSERT_TRUE(result);
  ASSERT_TRUE(result->outcome.response) << result->outcome.detail;
  EXPECT_EQ(result->outcome.response->status(), 200);
  EXPECT_EQ(result->cseq, 2u);
}

}  // namespace
}  // namespace osprey::client
