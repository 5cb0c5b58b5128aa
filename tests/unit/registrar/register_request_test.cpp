#include "registrar/register_request.hpp"

#include <gtest/gtest.h>

#include "register_messages.hpp"

namespace osprey::registrar {
namespace {

using testing::kDomains;
using testing::RegisterText;
using testing::source_of_text;

tl::expected<RegisterRequest, sip::LocalReply> read(const RegisterText& text,
                                                    const RegistrarLimits& limits = {}) {
  sip::Message message = text.parse();
  return read_register(message, kDomains, source_of_text("udp:192.0.2.4:5060"), limits);
}

void expect_refusal(const tl::expected<RegisterRequest, sip::LocalReply>& result, int status) {
  ASSERT_FALSE(result) << "accepted";
  EXPECT_EQ(result.error().status, status) << result.error().reason;
}

TEST(ReadRegister, ReadsTheRequest) {
  auto r = read(RegisterText{}
                    .header("Contact: \"Alice\" <sip:alice@192.0.2.4:5060;transport=udp>;q=0.7")
                    .header("User-Agent: softphone/1.0"));
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->aor, "sip:alice@example.com");
  EXPECT_EQ(r->call_id, "843817637684230@998sdasdh09");
  EXPECT_EQ(r->cseq, 1826u);
  EXPECT_EQ(store::source_text(r->source), "udp:192.0.2.4:5060");
  EXPECT_EQ(r->user_agent, "softphone/1.0");
  EXPECT_FALSE(r->star);
  EXPECT_FALSE(r->is_query());
  ASSERT_EQ(r->contacts.size(), 1u);
  EXPECT_EQ(r->contacts[0].uri, "sip:alice@192.0.2.4:5060;transport=udp");
  EXPECT_EQ(r->contacts[0].q, 700);
  EXPECT_EQ(r->contacts[0].expires, 3600u);
}

TEST(ReadRegister, ReadsEachContactsInstanceAndRegId) {
  // RFC 5626 §4.1, §4.2; a malformed instance is none (registrar/contact_instance.hpp).
  auto r = read(RegisterText{}.header(
      "Contact: <sip:alice@192.0.2.4:40001;transport=tcp>;+sip.instance=\"<urn:uuid:F81D4FAE-7DEC-11D0-A765-"
      "00A0C91E6BF6>\";reg-id=1, <sip:alice@192.0.2.4:40002>;+sip.instance=\"<not-a-urn>\", "
      "<sip:alice@192.0.2.4:40003>"));
  ASSERT_TRUE(r) << r.error().reason;
  ASSERT_EQ(r->contacts.size(), 3u);
  EXPECT_EQ(r->contacts[0].instance, "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  // RFC 5626 §6: without "Supported: outbound" the reg-id is ignored (outbound_registration_test).
  EXPECT_EQ(r->contacts[0].reg_id, 0u);
  EXPECT_EQ(r->contacts[1].instance, "");
  EXPECT_EQ(r->contacts[2].instance, "");
  EXPECT_EQ(r->contacts[2].reg_id, 0u);
}

TEST(ReadRegister, AorIsCanonicalTo) {
  auto r = read(RegisterText{}
                    .with_to("\"A\" <sip:alice@EXAMPLE.COM:5060;user=ip>")
                    .header("Contact: <sip:a@192.0.2.4>"));
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->aor, "sip:alice@example.com");
}

// RFC 3261 §19.1.4: a SIP and a SIPS URI are never equivalent; §10.3 step 5 keys the bindings
// by the canonical To, so the scheme stays part of the AOR.
TEST(ReadRegister, SipsToIsTheSipsAor) {
  sip::Message message =
      RegisterText{}.with_to("<SIPS:alice@Example.com:5061>").header("Contact: <sips:a@192.0.2.4>").parse();
  auto r = read_register(message, kDomains, source_of_text("tls:192.0.2.4:40001"), RegistrarLimits{});
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->aor, "sips:alice@example.com");
}

// RFC 5630 §4.1: a sips: registration (Request-URI or To) comes over TLS, or not at all.
TEST(ReadRegister, SipsRegistrationOutsideTlsIsRefused) {
  const RegisterText sips_to =
      RegisterText{}.with_to("<sips:alice@example.com>").header("Contact: <sips:a@192.0.2.4>");
  const RegisterText sips_request_uri =
      RegisterText{}.with_request_uri("sips:example.com").header("Contact: <sip:a@192.0.2.4>");
  for (const RegisterText& text : {sips_to, sips_request_uri}) {
    sip::Message message = text.parse();
    for (const char* source : {"udp:192.0.2.4:5060", "tcp:192.0.2.4:40001"})
      expect_refusal(read_register(message, kDomains, source_of_text(source), RegistrarLimits{}), 403);
    EXPECT_TRUE(read_register(message, kDomains, source_of_text("tls:192.0.2.4:40001"), RegistrarLimits{}));
  }
}

TEST(ReadRegister, NoContactIsAQuery) {
  auto r = read(RegisterText{});
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_TRUE(r->is_query());
}

TEST(ReadRegister, ExpiresParameterBeatsHeaderBeatsDefault) {
  RegistrarLimits limits;
  limits.default_expires = 1800;
  auto r = read(RegisterText{}
                    .header("Expires: 600")
                    .header("Contact: <sip:a@192.0.2.4>;expires=120, <sip:b@192.0.2.4>")
                    .header("Contact: <sip:c@192.0.2.4>;expires=0"),
                limits);
  ASSERT_TRUE(r) << r.error().reason;
  ASSERT_EQ(r->contacts.size(), 3u);
  EXPECT_EQ(r->contacts[0].expires, 120u);  // parameter
  EXPECT_EQ(r->contacts[1].expires, 600u);  // header
  EXPECT_EQ(r->contacts[2].expires, 0u);    // parameter 0 despite the header

  auto d = read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>"), limits);
  ASSERT_TRUE(d) << d.error().reason;
  EXPECT_EQ(d->contacts[0].expires, 1800u);  // default
}

TEST(ReadRegister, IntervalCappedAtMaximum) {
  RegistrarLimits limits;
  limits.max_expires = 900;
  auto r = read(RegisterText{}
                    .header("Expires: 7200")
                    .header("Contact: <sip:a@192.0.2.4>, <sip:b@192.0.2.4>;expires=99999999999"),
                limits);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->contacts[0].expires, 900u);
  EXPECT_EQ(r->contacts[1].expires, 900u);  // above 2**32-1: saturated, then capped (§10.2.1)
}

TEST(ReadRegister, DefaultAboveMaximumIsCapped) {
  RegistrarLimits limits;
  limits.default_expires = 7200;
  limits.max_expires = 3600;
  auto r = read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>"), limits);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->contacts[0].expires, 3600u);
}

TEST(ReadRegister, TooBriefGets423WithMinExpires) {
  auto header = read(RegisterText{}.header("Expires: 30").header("Contact: <sip:a@192.0.2.4>"));
  expect_refusal(header, 423);
  ASSERT_FALSE(header);
  EXPECT_EQ(header.error().reason, "Interval Too Brief");
  ASSERT_EQ(header.error().headers.size(), 1u);
  EXPECT_EQ(header.error().headers[0].first, "Min-Expires");
  EXPECT_EQ(header.error().headers[0].second, "60");

  // One brief contact refuses the whole request.
  expect_refusal(read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>, <sip:b@192.0.2.4>;expires=59")),
                 423);
  // The minimum itself is fine, and so is 0 (a removal).
  EXPECT_TRUE(read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>;expires=60")));
  EXPECT_TRUE(read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>;expires=0")));
}

TEST(ReadRegister, NeverTooBriefFromAnHourUp) {
  // §10.3 step 7: 423 only for intervals "smaller than one hour".
  RegistrarLimits limits;
  limits.min_expires = 7200;
  limits.max_expires = 86400;
  auto r = read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>;expires=3600"), limits);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->contacts[0].expires, 3600u);
  auto brief = read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>;expires=3599"), limits);
  expect_refusal(brief, 423);
  ASSERT_FALSE(brief);
  EXPECT_EQ(brief.error().headers[0].second, "7200");
}

TEST(ReadRegister, StarWithExpiresZero) {
  auto r = read(RegisterText{}.header("Contact: *").header("Expires: 0"));
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_TRUE(r->star);
  EXPECT_TRUE(r->contacts.empty());
  EXPECT_FALSE(r->is_query());
}

TEST(ReadRegister, StarWithOtherContactsIs400) {
  expect_refusal(read(RegisterText{}.header("Contact: *, <sip:a@192.0.2.4>").header("Expires: 0")), 400);
  expect_refusal(
      read(RegisterText{}.header("Contact: *").header("Contact: <sip:a@192.0.2.4>").header("Expires: 0")),
      400);
  expect_refusal(
      read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>").header("Contact: *").header("Expires: 0")),
      400);
}

TEST(ReadRegister, StarWithoutExpiresZeroIs400) {
  expect_refusal(read(RegisterText{}.header("Contact: *")), 400);
  expect_refusal(read(RegisterText{}.header("Contact: *").header("Expires: 3600")), 400);
}

TEST(ReadRegister, MalformedContactIs400) {
  auto r = read(RegisterText{}.header("Contact: <sip:a@192.0.2.4;q=2"));
  expect_refusal(r, 400);
  ASSERT_FALSE(r);
  // The parser's reason names the header and the defect.
  EXPECT_NE(r.error().reason.find("Contact"), std::string::npos) << r.error().reason;
  expect_refusal(read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>;q=2")), 400);
  expect_refusal(read(RegisterText{}.header("Contact: <sip:a@192.0.2.4>;expires=soon")), 400);
}

TEST(ReadRegister, MalformedExpiresIs400) {
  expect_refusal(read(RegisterText{}.header("Expires: -1").header("Contact: <sip:a@192.0.2.4>")), 400);
}

TEST(ReadRegister, UnservedRequestUriDomainIs403) {
  auto r = read(RegisterText{}.with_request_uri("sip:example.org").header("Contact: <sip:a@192.0.2.4>"));
  expect_refusal(r, 403);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "Domain not served");
  // The registrar's own address, if configured as served, is a valid Request-URI.
  EXPECT_TRUE(read(RegisterText{}.with_request_uri("sip:192.0.2.10").header("Contact: <sip:a@192.0.2.4>")));
  EXPECT_TRUE(read(RegisterText{}.with_request_uri("sip:EXAMPLE.com").header("Contact: <sip:a@192.0.2.4>")));
}

TEST(ReadRegister, UnservedAorDomainIs404) {
  // §10.3 step 5: an AOR not valid for the domain gets 404.
  expect_refusal(read(RegisterText{}.with_to("<sip:alice@example.org>").header("Contact: <sip:a@192.0.2.4>")),
                 404);
}

// §10.3 step 5: the AOR must be valid for the domain the Request-URI names, not just for any
// domain served here; an IP address names the registrar itself, valid for every served domain.
TEST(ReadRegister, AorOfAnotherServedDomainThanTheRequestUrisIs404) {
  const std::vector<std::string> domains{"example.com", "example.net", "192.0.2.10"};
  const auto read_with = [&](const RegisterText& text, std::string_view source = "udp:192.0.2.4:5060") {
    auto message = text.parse();
    return read_register(message, domains, source_of_text(source), RegistrarLimits{});
  };
  const auto contact = [](RegisterText text) { return text.header("Contact: <sip:a@192.0.2.4>"); };
  auto other = read_with(contact(RegisterText{}.with_to("<sip:alice@example.net>")));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().status, 404);
  EXPECT_EQ(read_with(contact(RegisterText{}.with_to("<sip:alice@192.0.2.10>"))).error().status, 404);
  // The same domain in another spelling (§19.1.4: hosts compare case-insensitively).
  auto spelled = read_with(contact(RegisterText{}.with_to("<sip:alice@EXAMPLE.com.>")));
  ASSERT_TRUE(spelled) << spelled.error().reason;
  EXPECT_EQ(spelled->aor, "sip:alice@example.com");
  // The user part keeps its case: Alice is not alice (§19.1.4).
  auto upper = read_with(contact(RegisterText{}.with_to("<sip:Alice@example.com>")));
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->aor, "sip:Alice@example.com");
  // The registrar's address as Request-URI: every served domain.
  for (const char* to : {"<sip:alice@example.com>", "<sip:alice@example.net>", "<sips:alice@example.net>"}) {
    const bool sips = std::string_view(to).starts_with("<sips:");  // over TLS (RFC 5630 §4.1)
    auto by_address = read_with(contact(RegisterText{}.with_request_uri("sip:192.0.2.10").with_to(to)),
                                sips ? "tls:192.0.2.4:40001" : "udp:192.0.2.4:5060");
    EXPECT_TRUE(by_address) << to;
  }
  EXPECT_EQ(
      read_with(contact(RegisterText{}.with_request_uri("sip:192.0.2.10").with_to("<sip:alice@example.org>")))
          .error()
          .status,
      404);
}

TEST(ReadRegister, ToWithoutUserIs400) {
  expect_refusal(read(RegisterText{}.with_to("<sip:example.com>").header("Contact: <sip:a@192.0.2.4>")), 400);
  expect_refusal(read(RegisterText{}.with_to("<tel:+15551234567>").header("Contact: <sip:a@192.0.2.4>")),
                 400);
}

TEST(ReadRegister, PathStoredInOrder) {
  auto r = read(RegisterText{}
                    .header("Supported: outbound, path")
                    .header("Path: <sip:p1.example.net;lr>, <sip:p2.example.net;lr>")
                    .header("Path: <sip:p3.example.net;lr;ob>")
                    .header("Contact: <sip:a@192.0.2.4>"));
  ASSERT_TRUE(r) << r.error().reason;
  ASSERT_EQ(r->path.size(), 3u);
  EXPECT_EQ(r->path[0], "<sip:p1.example.net;lr>");
  EXPECT_EQ(r->path[1], "<sip:p2.example.net;lr>");
  EXPECT_EQ(r->path[2], "<sip:p3.example.net;lr;ob>");
}

TEST(ReadRegister, PathWithoutSupportedPathIs420) {
  // RFC 3327 §5.3.
  auto r = read(RegisterText{}.header("Path: <sip:p1.example.net;lr>").header("Contact: <sip:a@192.0.2.4>"));
  expect_refusal(r, 420);
  // RFC 3261 §20.40: a 420 names the option tag in Unsupported.
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().headers, (std::vector<std::pair<std::string, std::string>>{{"Unsupported", "path"}}));
  RegistrarLimits lenient;
  lenient.require_path_support = false;
  auto accepted = read(
      RegisterText{}.header("Path: <sip:p1.example.net;lr>").header("Contact: <sip:a@192.0.2.4>"), lenient);
  ASSERT_TRUE(accepted) << accepted.error().reason;
  EXPECT_EQ(accepted->path.size(), 1u);
}

TEST(ReadRegister, MalformedPathIs400) {
  expect_refusal(read(RegisterText{}
                          .header("Supported: path")
                          .header("Path: sip:p1.example.net;lr")
                          .header("Contact: <sip:a@192.0.2.4>")),
                 400);
}

}  // namespace
}  // namespace osprey::registrar
