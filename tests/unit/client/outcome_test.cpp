#include "client/outcome.hpp"

#include <gtest/gtest.h>

#include "client/client_request.hpp"

namespace osprey::client {
namespace {

Outcome response(int status, std::string_view reason) {
  auto message =
      sip::Message::parse("SIP/2.0 " + std::to_string(status) + " " + std::string(reason) +
                          "\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
                          "To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(message);
  return Outcome{std::move(*message), Failure::none, {}};
}

TEST(Outcome, ExitCodes) {
  EXPECT_EQ(exit_code_of(response(200, "OK")), 0);
  EXPECT_EQ(exit_code_of(response(202, "Accepted")), 0);
  EXPECT_EQ(exit_code_of(response(480, "Temporarily Unavailable")), 1);
  // A 408 or 503 from the server is a final response, not a local timeout.
  EXPECT_EQ(exit_code_of(response(408, "Request Timeout")), 1);
  EXPECT_EQ(exit_code_of(Outcome{std::nullopt, Failure::usage, "bad"}), 2);
  EXPECT_EQ(exit_code_of(Outcome{std::nullopt, Failure::timeout, "t"}), 3);
  EXPECT_EQ(exit_code_of(Outcome{std::nullopt, Failure::unreachable, "u"}), 3);
}

TEST(Outcome, Describe) {
  EXPECT_EQ(describe(response(480, "Temporarily Unavailable")), "SIP/2.0 480 Temporarily Unavailable");
  EXPECT_EQ(describe(Outcome{std::nullopt, Failure::timeout, "no final response"}),
            "timeout: no final response");
}

TEST(DestinationUri, ServerWinsAndTransportIsAdded) {
  ClientSettings settings;
  EXPECT_EQ(destination_uri("sip:bob@example.com", settings), "sip:bob@example.com");
  settings.transport = net::Protocol::tcp;
  EXPECT_EQ(destination_uri("sip:bob@example.com:5070;transport=udp", settings),
            "sip:example.com:5070;transport=tcp");
  settings.server = "127.0.0.1:5090";
  EXPECT_EQ(destination_uri("sip:bob@example.com", settings), "sip:127.0.0.1:5090;transport=tcp");
}

TEST(DestinationUri, BadUris) {
  ClientSettings settings;
  EXPECT_FALSE(destination_uri("bob", settings));
  EXPECT_FALSE(destination_uri("tel:+15551234", settings));
  settings.server = "bad host:x";
  EXPECT_FALSE(destination_uri("sip:bob@example.com", settings));
}

TEST(SendRequest, BadUriIsAUsageError) {
  ClientSettings settings;
  const Outcome outcome = send_request("nonsense", settings, [](const net::Endpoint&, net::Protocol) {
    return sip::Result<sip::Message>(tl::unexpected(sip::ParseError{}));
  });
  EXPECT_EQ(exit_code_of(outcome), 2);
}

}  // namespace
}  // namespace osprey::client
