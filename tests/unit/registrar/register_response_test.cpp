#include "registrar/register_response.hpp"

#include <gtest/gtest.h>

#include "register_messages.hpp"
#include "registrar/registrar_rules.hpp"
#include "sip/contact.hpp"
#include "sip/date_header.hpp"

namespace osprey::registrar {
namespace {

using testing::kDomains;
using testing::RegisterText;
using testing::source_of_text;

constexpr std::int64_t kNow = 1'289'690'940;  // Sat, 13 Nov 2010 23:29:00 GMT

sip::Message parse(std::string bytes) {
  auto message = sip::Message::parse(std::move(bytes));
  if (!message) {
    ADD_FAILURE() << message.error().reason;
    std::abort();
  }
  return std::move(*message);
}

std::vector<std::string> lines(const sip::Message& m, sip::HeaderId id) {
  std::vector<std::string> out;
  m.for_each_line(id, [&](std::string_view v) {
    out.emplace_back(v);
    return true;
  });
  return out;
}

store::Binding binding(std::string contact, std::int64_t expires_at, std::uint16_t q) {
  store::Binding b;
  b.aor = "sip:alice@example.com";
  b.contact = std::move(contact);
  b.expires_at = expires_at;
  b.q = q;
  return b;
}

TEST(FormatQ, WritesTheShortestQValue) {
  EXPECT_EQ(format_q(1000), "1");
  EXPECT_EQ(format_q(0), "0");
  EXPECT_EQ(format_q(500), "0.5");
  EXPECT_EQ(format_q(330), "0.33");
  EXPECT_EQ(format_q(5), "0.005");
  EXPECT_EQ(format_q(123), "0.123");
}

TEST(OkResponse, ListsEveryBindingWithRemainingExpiryAndQ) {
  sip::Message request = RegisterText{}.header("Contact: <sip:alice@192.0.2.4>").parse();
  std::vector<store::Binding> bindings{binding("sip:alice@192.0.2.4;transport=tcp", kNow + 3600, 1000),
                                       binding("sip:alice@198.51.100.7", kNow + 42, 250),
                                       binding("sip:alice@gone.example.com", kNow, 1000)};  // expired now
  sip::Message response = parse(ok_response(request, bindings, kNow, "reg-tag"));
  EXPECT_TRUE(response.is_response());
  EXPECT_EQ(response.status(), 200);
  EXPECT_EQ(response.to()->tag(), "reg-tag");
  EXPECT_EQ(response.call_id(), request.call_id());
  EXPECT_EQ(lines(response, sip::HeaderId::contact),
            (std::vector<std::string>{"<sip:alice@192.0.2.4;transport=tcp>;expires=3600;q=1",
                                      "<sip:alice@198.51.100.7>;expires=42;q=0.25"}));
  // The Contact values read back as the UA will read them.
  auto contacts = sip::contacts(response);
  ASSERT_TRUE(contacts) << contacts.error().reason;
  ASSERT_EQ(contacts->contacts.size(), 2u);
  EXPECT_EQ(contacts->contacts[0].address.uri.text, "sip:alice@192.0.2.4;transport=tcp");
  EXPECT_EQ(*contacts->contacts[0].expires, 3600u);
  EXPECT_EQ(*contacts->contacts[1].q, 250);
  EXPECT_EQ(response.first_value(sip::HeaderId::date), "Sat, 13 Nov 2010 23:29:00 GMT");
  EXPECT_TRUE(lines(response, sip::HeaderId::path).empty());
}

TEST(OkResponse, EmptyWhenNoBindings) {
  sip::Message request = RegisterText{}.header("Contact: *").header("Expires: 0").parse();
  sip::Message response = parse(ok_response(request, {}, kNow, "t"));
  EXPECT_EQ(response.status(), 200);
  EXPECT_EQ(response.count(sip::HeaderId::contact), 0u);
  EXPECT_TRUE(response.first_value(sip::HeaderId::date));
}

TEST(OkResponse, EchoesPathInOrderWhenSupported) {
  // RFC 3327 §5.3: the Path values of the request are copied into the 200.
  sip::Message request = RegisterText{}
                             .header("Supported: path")
                             .header("Path: <sip:p1.example.net;lr>, <sip:p2.example.net;lr>")
                             .header("Path: <sip:p3.example.net;lr>")
                             .header("Contact: <sip:alice@192.0.2.4>")
                             .parse();
  sip::Message response = parse(ok_response(request, {}, kNow, "t"));
  EXPECT_EQ(lines(response, sip::HeaderId::path),
            (std::vector<std::string>{"<sip:p1.example.net;lr>, <sip:p2.example.net;lr>",
                                      "<sip:p3.example.net;lr>"}));
}

TEST(OkResponse, NoPathForAUaWithoutSupportedPath) {
  sip::Message request =
      RegisterText{}.header("Path: <sip:p1.example.net;lr>").header("Contact: <sip:alice@192.0.2.4>").parse();
  sip::Message response = parse(ok_response(request, {}, kNow, "t"));
  EXPECT_EQ(response.count(sip::HeaderId::path), 0u);
}

// The whole flow as the server runs it: read, decide against the store's bindings, answer.
TEST(RegistrarFlow, RegisterRefreshQueryAndUnregister) {
  RegistrarLimits limits;
  std::vector<store::Binding> store;
  auto run = [&](const RegisterText& text, std::int64_t now) {
    sip::Message request = text.parse();
    auto read = read_register(request, kDomains, source_of_text("udp:192.0.2.4:5060"), limits);
    if (!read) return parse(sip::serialize_reply(request, read.error(), "t"));
    Decision decision = decide(*read, store, now, limits);
    if (decision.refusal) return parse(sip::serialize_reply(request, *decision.refusal, "t"));
    if (decision.new_set) store = *decision.new_set;
    return parse(ok_response(request, decision.bindings(), now, "t"));
  };

  RegisterText first = RegisterText{}.with_cseq(1);
  first.header("Contact: <sip:alice@192.0.2.4>;q=0.5").header("Expires: 600");
  sip::Message ok = run(first, kNow);
  EXPECT_EQ(ok.status(), 200);
  EXPECT_EQ(lines(ok, sip::HeaderId::contact),
            std::vector<std::string>{"<sip:alice@192.0.2.4>;expires=600;q=0.5"});

  // A query 100 s later lists the remaining 500 s.
  sip::Message query = run(RegisterText{}.with_cseq(2), kNow + 100);
  EXPECT_EQ(lines(query, sip::HeaderId::contact),
            std::vector<std::string>{"<sip:alice@192.0.2.4>;expires=500;q=0.5"});

  // A replayed old request is refused and changes nothing.
  sip::Message replay = run(first, kNow + 101);
  EXPECT_EQ(replay.status(), 500);
  ASSERT_EQ(store.size(), 1u);
  EXPECT_EQ(store[0].expires_at, kNow + 600);

  RegisterText unregister = RegisterText{}.with_cseq(3);
  unregister.header("Contact: *").header("Expires: 0");
  sip::Message gone = run(unregister, kNow + 200);
  EXPECT_EQ(gone.status(), 200);
  EXPECT_EQ(gone.count(sip::HeaderId::contact), 0u);
  EXPECT_TRUE(store.empty());
}

}  // namespace
}  // namespace osprey::registrar
