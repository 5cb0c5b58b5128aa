#include "client/request_factory.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>

#include "sip/contact.hpp"
#include "sip/header_id.hpp"

namespace osprey::client {
namespace {

const RequestIds kIds{"abc@osprey", "tag1", 1};

TEST(RequestFactory, OptionsCarriesTheRfc3261Basics) {
  auto request = build_options(kIds, "sip:127.0.0.1:5070", "sip:osprey@127.0.0.1");
  ASSERT_TRUE(request) << request.error().reason;
  EXPECT_EQ(request->method_text(), "OPTIONS");
  EXPECT_EQ(request->request_uri().text, "sip:127.0.0.1:5070");
  EXPECT_EQ(request->max_forwards(), 70u);
  EXPECT_EQ(request->call_id(), "abc@osprey");
  ASSERT_TRUE(request->cseq());
  EXPECT_EQ(request->cseq()->number, 1u);
  EXPECT_EQ(request->cseq()->method_text, "OPTIONS");
  ASSERT_TRUE(request->from());
  EXPECT_EQ(request->from()->tag(), "tag1");
  ASSERT_TRUE(request->to());
  EXPECT_EQ(request->to()->uri.text, "sip:127.0.0.1:5070");
  EXPECT_FALSE(request->top_via());  // the transaction layer adds it
}

TEST(RequestFactory, RegisterGoesToTheDomainWithContactAndExpires) {
  auto request = build_register(kIds, "sip:alice@example.com:5080", "sip:osprey@192.0.2.1:4000", 120);
  ASSERT_TRUE(request) << request.error().reason;
  EXPECT_EQ(request->method_text(), "REGISTER");
  EXPECT_EQ(request->request_uri().text, "sip:example.com:5080");
  EXPECT_EQ(request->to()->uri.text, "sip:alice@example.com:5080");
  EXPECT_EQ(request->from()->uri.text, "sip:alice@example.com:5080");
  EXPECT_EQ(request->first_value(sip::HeaderId::expires), "120");
  auto contacts = sip::contacts(*request);
  ASSERT_TRUE(contacts);
  ASSERT_EQ(contacts->contacts.size(), 1u);
  EXPECT_EQ(contacts->contacts[0].address.uri.text, "sip:osprey@192.0.2.1:4000");
}

TEST(RequestFactory, RegisterStarRemovesEverything) {
  auto request = build_register(kIds, "sip:alice@example.com", "*", 0);
  ASSERT_TRUE(request) << request.error().reason;
  EXPECT_EQ(request->first_value(sip::HeaderId::contact), "*");
  EXPECT_EQ(request->first_value(sip::HeaderId::expires), "0");
}

TEST(RequestFactory, RegisterRefusesABadAor) { EXPECT_FALSE(build_register(kIds, "alice", "sip:x@y", 60)); }

TEST(RequestFactory, MessageHasATextPlainBody) {
  auto request = build_message(kIds, "sip:bob@example.com", "sip:alice@example.com", "hello\n");
  ASSERT_TRUE(request) << request.error().reason;
  EXPECT_EQ(request->method_text(), "MESSAGE");
  EXPECT_EQ(request->first_value(sip::HeaderId::content_type), "text/plain;charset=utf-8");
  EXPECT_EQ(request->body(), "hello\n");
  EXPECT_EQ(request->content_length(), 6u);
  EXPECT_EQ(request->from()->uri.text, "sip:alice@example.com");
}

TEST(RequestFactory, FreshIdsDiffer) {
  const RequestIds a = fresh_ids();
  const RequestIds b = fresh_ids();
  EXPECT_NE(a.call_id, b.call_id);
  EXPECT_NE(a.from_tag, b.from_tag);
  EXPECT_GE(a.from_tag.size(), 8u);
}

TEST(RequestFactory, ContactUriNamesTheTransport) {
  const net::Endpoint local{boost::asio::ip::make_address("192.0.2.1"), 4000};
  EXPECT_EQ(contact_uri(local, net::Protocol::udp), "sip:osprey@192.0.2.1:4000");
  EXPECT_EQ(contact_uri(local, net::Protocol::tcp), "sip:osprey@192.0.2.1:4000;transport=tcp");
  const net::Endpoint v6{boost::asio::ip::make_address("2001:db8::1"), 5060};
  EXPECT_EQ(contact_uri(v6, net::Protocol::udp), "sip:osprey@[2001:db8::1]:5060");
}

TEST(RequestFactory, TlsContactIsSipsForASipsRequestUri) {
  // RFC 3261 §8.1.1.8: a SIPS Request-URI needs a SIPS Contact; a sip: one over TLS says tls.
  const net::Endpoint local{boost::asio::ip::make_address("192.0.2.1"), 4000};
  EXPECT_EQ(contact_uri(local, net::Protocol::tls, "sips:bob@example.com"), "sips:osprey@192.0.2.1:4000");
  EXPECT_EQ(contact_uri(local, net::Protocol::tls, "sip:bob@example.com"),
            "sip:osprey@192.0.2.1:4000;transport=tls");
}

TEST(RequestFactory, FreshTagsDiffer) { EXPECT_NE(fresh_tag(), fresh_tag()); }

}  // namespace
}  // namespace osprey::client
