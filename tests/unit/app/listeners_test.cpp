#include "app/listeners.hpp"

#include <gtest/gtest.h>

namespace osprey::app {
namespace {

ListenConfig on(Transport transport, std::uint16_t port) { return {transport, "127.0.0.1", port, {}, {}}; }

TEST(AppListeners, BindsEveryEntryInOrder) {
  boost::asio::io_context io_context;
  const auto listeners = Listeners::bind(io_context, {on(Transport::udp, 0), on(Transport::tcp, 0)});
  ASSERT_TRUE(listeners) << to_string(listeners.error());
  ASSERT_EQ(listeners->bound().size(), 2u);
  EXPECT_EQ(listeners->bound()[0].transport, Transport::udp);
  EXPECT_EQ(listeners->bound()[1].transport, Transport::tcp);
  EXPECT_NE(listeners->bound()[0].port, 0);
  EXPECT_NE(listeners->bound()[1].port, 0);
}

TEST(AppListeners, UdpAndTcpShareAPort) {
  boost::asio::io_context io_context;
  const auto first = Listeners::bind(io_context, {on(Transport::udp, 0)});
  ASSERT_TRUE(first);
  const std::uint16_t port = first->bound()[0].port;
  const auto second = Listeners::bind(io_context, {on(Transport::tcp, port)});
  EXPECT_TRUE(second) << to_string(second.error());
}

// A port another process holds must be reported, for UDP too (no SO_REUSEADDR there).
TEST(AppListeners, PortInUseIsAnError) {
  for (const Transport transport : {Transport::udp, Transport::tcp}) {
    boost::asio::io_context io_context;
    const auto first = Listeners::bind(io_context, {on(transport, 0)});
    ASSERT_TRUE(first);
    const std::uint16_t port = first->bound()[0].port;
    const auto second = Listeners::bind(io_context, {on(transport, port)});
    ASSERT_FALSE(second) << to_string(transport);
    EXPECT_EQ(to_string(second.error()), "cannot listen on " + std::string(to_string(transport)) +
                                             " 127.0.0.1:" + std::to_string(port) +
                                             ": Address already in use");
  }
}

TEST(AppListeners, DescribesIpv6WithBrackets) {
  EXPECT_EQ(describe_socket(Transport::tls, boost::asio::ip::make_address("::1"), 5061), "tls [::1]:5061");
}

}  // namespace
}  // namespace osprey::app
