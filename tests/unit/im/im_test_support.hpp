#pragma once
// Shared by the im tests: a real TransactionTable on a recording transport, a transaction user
// that hands every upcall to the test, and MESSAGE texts.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "recording_transport.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::im::testing {

using osprey::testing::endpoint;
using osprey::testing::RecordingTransport;

inline const std::string kBob = "sip:bob@example.com";

// Every upcall goes to the std::function the test set (unset ones are ignored).
class ForwardingUser : public txn::TransactionUser {
 public:
  std::function<void(txn::ServerTransactionId, const sip::Message&)> request;
  std::function<void(txn::ClientTransactionId, const sip::Message&)> response;
  std::function<void(txn::ClientTransactionId, int)> failure;

  void on_request(txn::ServerTransactionId t, const sip::Message& message, const net::Flow&) override {
    if (request) request(t, message);
  }
  void on_ack(const sip::Message&, const net::Flow&) override {}
  void on_cancel(txn::ServerTransactionId, const sip::Message&) override {}
  void on_response(txn::ClientTransactionId t, const sip::Message& message) override {
    if (response) response(t, message);
  }
  void on_client_failure(txn::ClientTransactionId t, int status) override {
    if (failure) failure(t, status);
  }
  void on_stray_response(const sip::Message&, const net::Flow&) override {}
};

// Feeds `text` from `from` over UDP into `table`, as the worker does.
inline void feed(txn::TransactionTable& table, const std::string& text, const net::Endpoint& from) {
  auto message = sip::Message::parse(text);
  ASSERT_TRUE(message) << text;
  const net::Flow flow{net::Protocol::udp, from, RecordingTransport::local(), 0};
  if (message->is_request()) txn::stamp_received(*message, flow);
  table.receive(std::move(*message), flow);
}

inline std::string message_request(const std::string& content_type = "text/plain",
                                   const std::string& body = "hello", const std::string& to_params = "") {
  return "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKm1\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f1\r\nTo: <sip:bob@example.com>" +
         to_params + "\r\nCall-ID: im-1\r\nCSeq: 1 MESSAGE\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace osprey::im::testing
