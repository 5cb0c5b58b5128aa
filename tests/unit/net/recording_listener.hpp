#pragma once
// Test support for the transport tests: a TransportListener that records what it is given, and
// a bounded way to run an io_context until something happened.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "net/flow.hpp"
#include "net/transport.hpp"

namespace osprey::net::testing {

struct ReceivedMessage {
  std::string bytes;
  Flow flow;
};

class RecordingListener : public TransportListener {
 public:
  void on_message(std::string_view bytes, const Flow& flow) override {
    messages.push_back({std::string(bytes), flow});
    if (after_message) after_message();
  }
  void on_connection_closed(ConnectionId connection) override { closed.push_back(connection); }

  std::vector<ReceivedMessage> messages;
  std::vector<ConnectionId> closed;
  std::function<void()> after_message;  // runs after each recorded message
};

// Runs `io_context` until `done()` holds or `deadline` passes; never blocks longer. True if done.
template <typename Predicate>
bool run_until(boost::asio::io_context& io_context, Predicate done,
               std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    io_context.run_one_for(std::chrono::milliseconds(20));
    if (io_context.stopped()) {  // out of work: nothing can happen until something is queued
      io_context.restart();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return true;
}

// Runs whatever is ready (and what arrives within `period`), for tests that expect nothing.
inline void run_for(boost::asio::io_context& io_context, std::chrono::milliseconds period) {
  io_context.restart();
  io_context.run_for(period);
  io_context.restart();
}

inline const boost::asio::ip::address kLoopback4 = boost::asio::ip::make_address("127.0.0.1");
inline const boost::asio::ip::address kLoopback6 = boost::asio::ip::make_address("::1");

inline boost::asio::ip::udp::endpoint to_asio(const Endpoint& endpoint) {
  return {endpoint.address, endpoint.port};
}
inline Endpoint from_asio(const boost::asio::ip::udp::endpoint& endpoint) {
  return {endpoint.address(), endpoint.port()};
}

// Some CI containers have no IPv6 loopback; the IPv6 tests skip there.
inline bool can_bind_ipv6_loopback() {
  boost::asio::io_context context;
  boost::asio::ip::udp::socket socket(context);
  boost::system::error_code error;
  socket.open(boost::asio::ip::udp::v6(), error);
  if (!error) socket.bind({kLoopback6, 0}, error);
  return !error;
}

}  // namespace osprey::net::testing
