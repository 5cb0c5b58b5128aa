#include "server/proxy_event_log.hpp"

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>

namespace osprey::server {
namespace {

class ProxyEventLogTest : public ::testing::Test {
 protected:
  ProxyEventLogTest()
      : logger_("test", std::make_shared<spdlog::sinks::ostream_sink_st>(out_)), log_(logger_, 7) {
    logger_.set_pattern("%l %v");
    logger_.set_level(spdlog::level::info);
  }

  static sip::Message ack(const std::string& call_id, const std::string& to_tag = "t1") {
    auto message = sip::Message::parse(
        "ACK sip:carol@198.51.100.7 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKa1\r\nMax-Forwards: 70\r\n"
        "From: <sip:x@203.0.113.5>;tag=f1\r\nTo: <sip:carol@198.51.100.7>;tag=" +
        to_tag + "\r\nCall-ID: " + call_id + "\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");
    EXPECT_TRUE(message);
    return std::move(*message);
  }

  std::size_t lines() const {
    const std::string text = out_.str();
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }

  std::ostringstream out_;
  spdlog::logger logger_;
  ProxyEventLog log_;
};

TEST_F(ProxyEventLogTest, AnAckRetransmittedIsLoggedOncePerDialog) {
  const net::Endpoint from{boost::asio::ip::make_address("203.0.113.5"), 5060};
  for (int i = 0; i < 7; ++i) log_.ack_dropped(ack("c1"), "no dialog token", &from);
  EXPECT_EQ(lines(), 1u);
  EXPECT_NE(
      out_.str().find("info ACK of Call-ID 'c1' from 203.0.113.5:5060 toward sip:carol@198.51.100.7 not "
                      "forwarded: no dialog token"),
      std::string::npos)
      << out_.str();
  log_.ack_dropped(ack("c1", "t2"), "no dialog token", &from);  // another dialog (a fork's tag)
  EXPECT_EQ(lines(), 2u);
}

// An attacker inventing dialogs gets at most kLinesPerSecond lines a second, and the memory of
// seen dialogs stays at kRememberedDialogs.
TEST_F(ProxyEventLogTest, DistinctDialogsCannotFloodTheLog) {
  for (int i = 0; i < 20'000; ++i) log_.ack_dropped(ack("flood-" + std::to_string(i)), "no dialog token");
  EXPECT_LE(lines(), 2 * ProxyEventLog::kLinesPerSecond);  // the loop may straddle a second
  EXPECT_GE(lines(), 1u);
}

TEST_F(ProxyEventLogTest, ATransportFailureIsOneInfoLineWithCallIdTargetAndCause) {
  const txn::Target to{net::Protocol::tcp, {boost::asio::ip::make_address("192.0.2.20"), 5080}, {}};
  log_.branch_transport_failure({"call-9", to, "connection refused", "INVITE", "sip:bob@example.com"});
  EXPECT_EQ(lines(), 1u);
  EXPECT_NE(
      out_.str().find("info INVITE sip:bob@example.com (Call-ID 'call-9'): branch to TCP:192.0.2.20:5080 "
                      "failed: connection refused"),
      std::string::npos)
      << out_.str();
}

TEST_F(ProxyEventLogTest, AUserNotReachableIsOneInfoLineAndAnEnumerationCannotFloodTheLog) {
  log_.user_not_reachable(
      {"call-4", "INVITE", "sip:bob@example.com", 480, "the user has no registered device"});
  EXPECT_EQ(lines(), 1u);
  EXPECT_NE(out_.str().find("info INVITE sip:bob@example.com (Call-ID 'call-4'): answered 480: the user has "
                            "no registered device"),
            std::string::npos)
      << out_.str();
  for (int i = 0; i < 5'000; ++i)
    log_.user_not_reachable({"scan", "INVITE", "sip:100@example.com", 404, "no such account"});
  EXPECT_LE(lines(), 1 + 2 * ProxyEventLog::kLinesPerSecond);
}

TEST(ProxyEventLogKey, TheDialogIsCallIdAndBothTags) {
  auto a = sip::Message::parse(
      "ACK sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=x\r\n"
      "To: <sip:b@h>;tag=y\r\nCall-ID: k\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(a);
  EXPECT_EQ(ProxyEventLog::dialog_key(*a), "k\nx\ny");
}

}  // namespace
}  // namespace osprey::server
