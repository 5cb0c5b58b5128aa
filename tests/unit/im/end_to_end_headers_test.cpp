#include "im/end_to_end_headers.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "im/message_rules.hpp"

namespace osprey::im {
namespace {

// A MESSAGE as a client sends it through osprey: hop-by-hop and proxy fields mixed with the
// end-to-end ones the recipient must get.
const std::string kGzipBody(
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00\x86\xa6\x10\x36\x05\x00\x00\x00",
    25);

std::string message_text() {
  return "MESSAGE sip:bob@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKm1\r\n"
         "Via: SIP/2.0/UDP 192.0.2.8:5060;branch=z9hG4bKm0\r\n"
         "Route: <sip:example.com;lr>\r\n"
         "Record-Route: <sip:192.0.2.8;lr>\r\n"
         "Max-Forwards: 69\r\n"
         "From: \"Alice\" <sip:alice@example.com>;tag=f1\r\n"
         "To: <sip:bob@example.com>\r\n"
         "Call-ID: im-1\r\n"
         "CSeq: 7 MESSAGE\r\n"
         "Contact: <sip:alice@192.0.2.9:5070>\r\n"
         "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n\", "
         "uri=\"sip:bob@example.com\", response=\"0123\"\r\n"
         "Proxy-Require: sec-agree\r\n"
         "P-Asserted-Identity: <sip:boss@example.com>\r\n"
         "Remote-Party-ID: <sip:boss@example.com>;party=calling\r\n"
         "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
         "Timestamp: 54\r\n"
         "Subject: lunch\r\n"
         "Content-Language: fr\r\n"
         "Content-Encoding: gzip\r\n"
         "Content-Disposition: render\r\n"
         "X-Thread: 42,\r\n  continued\r\n"
         "Content-Type: text/plain\r\n"
         "Content-Length: " +
         std::to_string(kGzipBody.size()) + "\r\n\r\n" + kGzipBody;
}

sip::Message parse(const std::string& text) {
  auto message = sip::Message::parse(text);
  EXPECT_TRUE(message) << (message ? "" : message.error().reason);
  return std::move(*message);
}

std::vector<std::pair<std::string, std::string>> lines_of(std::string_view stored) {
  std::vector<std::pair<std::string, std::string>> lines;
  for_each_stored_header(
      stored, [&](std::string_view name, std::string_view value) { lines.emplace_back(name, value); });
  return lines;
}

TEST(EndToEndHeaders, KeepsWhatTheRecipientNeedsAndDropsTheHopsOwn) {
  const std::string stored = end_to_end_headers(parse(message_text()));
  EXPECT_EQ(stored,
            "Subject: lunch\r\nContent-Language: fr\r\nContent-Encoding: gzip\r\n"
            "Content-Disposition: render\r\nX-Thread: 42,    continued\r\n");
}

TEST(EndToEndHeaders, ExcludedNamesMatchInAnyCaseAndCompactForm) {
  for (const char* name : {"via",
                           "v",
                           "ROUTE",
                           "Record-Route",
                           "Path",
                           "max-forwards",
                           "i",
                           "Call-ID",
                           "CSeq",
                           "f",
                           "t",
                           "c",
                           "l",
                           "Content-Length",
                           "Date",
                           "m",
                           "Contact",
                           "Authorization",
                           "proxy-authorization",
                           "Proxy-Require",
                           "P-Asserted-Identity",
                           "P-Preferred-Identity",
                           "remote-party-id",
                           "Security-Verify",
                           "Timestamp"}) {
    EXPECT_FALSE(is_end_to_end(name)) << name;
  }
  for (const char* name : {"Subject", "s", "Content-Encoding", "e", "Content-Language", "Content-Disposition",
                           "Require", "Supported", "Expires", "User-Agent", "Priority", "In-Reply-To",
                           "Reply-To", "Identity", "X-Anything"}) {
    EXPECT_TRUE(is_end_to_end(name)) << name;
  }
}

// A stored row is read back defensively: lines that end_to_end_headers could not have written
// deliver nothing, even if the file was edited behind osprey's back.
TEST(EndToEndHeaders, ReadingBackSkipsWhatCouldNotHaveBeenStored) {
  EXPECT_EQ(lines_of("Subject: a\r\nVia: SIP/2.0/UDP evil\r\nno colon\r\n: empty name\r\nBad Name: x\r\n"
                     "Proxy-Authorization: Digest x\r\nX-Ok: 1"),
            (std::vector<std::pair<std::string, std::string>>{{"Subject", "a"}, {"X-Ok", "1"}}));
  EXPECT_TRUE(lines_of("").empty());
}

TEST(EndToEndHeaders, DeliveredRequestCarriesThemAndTheExactBody) {
  const sip::Message original = parse(message_text());
  store::StoredMessage stored = stored_from(original, "sip:bob@example.com", 1'700'000'000);
  EXPECT_EQ(stored.body, kGzipBody);
  const auto built = delivery_request(stored, {"sip:bob@192.0.2.20:5062", {}, "delivery-1@osprey"});
  ASSERT_TRUE(built);
  const sip::Message& delivered = *built;
  EXPECT_EQ(delivered.first_value(sip::HeaderId::subject), "lunch");
  EXPECT_EQ(delivered.first_value(sip::HeaderId::content_encoding), "gzip");
  EXPECT_EQ(delivered.first_value(sip::HeaderId::content_language), "fr");
  EXPECT_EQ(delivered.first_value(sip::HeaderId::content_disposition), "render");
  EXPECT_EQ(delivered.first_value("X-Thread"), "42,    continued");
  EXPECT_EQ(delivered.body(), kGzipBody);
  // The delivery's own fields, once each; the sender's hop, credentials and assertions gone.
  EXPECT_EQ(delivered.count(sip::HeaderId::call_id), 1u);
  EXPECT_EQ(delivered.call_id(), "delivery-1@osprey");
  EXPECT_EQ(delivered.count(sip::HeaderId::date), 1u);
  EXPECT_EQ(delivered.count(sip::HeaderId::max_forwards), 1u);
  EXPECT_EQ(delivered.count(sip::HeaderId::content_type), 1u);
  for (const sip::HeaderId gone :
       {sip::HeaderId::via, sip::HeaderId::route, sip::HeaderId::record_route, sip::HeaderId::contact,
        sip::HeaderId::proxy_authorization, sip::HeaderId::proxy_require, sip::HeaderId::p_asserted_identity,
        sip::HeaderId::timestamp}) {
    EXPECT_EQ(delivered.count(gone), 0u) << sip::canonical_name(gone);
  }
  EXPECT_FALSE(delivered.first_value("Remote-Party-ID"));
}

// Rows stored before the headers were kept have none: they deliver as before.
TEST(EndToEndHeaders, AMessageStoredWithoutHeadersDeliversAsBefore) {
  store::StoredMessage stored;
  stored.from = "<sip:alice@example.com>;tag=f1";
  stored.to = "<sip:bob@example.com>";
  stored.content_type = "text/plain";
  stored.body = "hi";
  const auto built = delivery_request(stored, {"sip:bob@192.0.2.20", {}, "d@osprey"});
  ASSERT_TRUE(built);
  EXPECT_FALSE(built->first_value(sip::HeaderId::subject));
  EXPECT_EQ(built->body(), "hi");
}

}  // namespace
}  // namespace osprey::im
