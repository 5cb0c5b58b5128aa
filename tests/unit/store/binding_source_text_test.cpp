#include "store/binding_source_text.hpp"

#include <gtest/gtest.h>

namespace osprey::store {
namespace {

// The text every data directory so far holds, both ways.
TEST(BindingSourceText, ReadsAndWritesTheStoredForm) {
  for (const char* text : {"udp:192.0.2.1:5060", "tcp:[2001:db8::1]:5061", "tls:127.0.0.1:41235"}) {
    const auto source = parse_source_text(text);
    ASSERT_TRUE(source) << text;
    EXPECT_EQ(source_text(*source), text);
    EXPECT_EQ(source->connection, 0u);  // not stored: ids restart with the process
  }
  const auto tls = parse_source_text("tls:[2001:db8::1]:5061");
  ASSERT_TRUE(tls);
  EXPECT_EQ(tls->protocol, net::Protocol::tls);
  EXPECT_EQ(tls->remote, (net::Endpoint{boost::asio::ip::make_address("2001:db8::1"), 5061}));
}

TEST(BindingSourceText, RefusesWhatNoVersionWrote) {
  for (const char* text : {"", "udp", "udp:192.0.2.1", "sctp:192.0.2.1:5060", "udp:example.com:5060",
                           "udp:192.0.2.1:99999", "udp:192.0.2.1:0", "udp:192.0.2.1:50x", "tcp:[::1:5060"})
    EXPECT_FALSE(parse_source_text(text)) << text;
}

}  // namespace
}  // namespace osprey::store
