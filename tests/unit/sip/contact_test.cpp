#include "sip/contact.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"
#include "exact_prefix.hpp"
#include "sip/message.hpp"

namespace osprey::sip {
namespace {

using test_files::read_conformance_file;
using test_files::replace_once;

using test_files::parse_message;

using test_files::request_with;

TEST(Contact, Rfc3261ExampleWithQAndExpires) {
  // RFC 3261 §20.10
  auto list = parse_contact(
      "\"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>\r\n"
      "   ;q=0.7; expires=3600,\r\n"
      "   \"Mr. Watson\" <mailto:watson@bell-telephone.com> ;q=0.1");
  ASSERT_TRUE(list) << list.error().reason;
  EXPECT_FALSE(list->star);
  ASSERT_EQ(list->contacts.size(), 2u);
  const Contact& first = list->contacts[0];
  EXPECT_EQ(first.address.display_text(), "Mr. Watson");
  EXPECT_EQ(first.address.uri.host, "worcester.bell-telephone.com");
  EXPECT_EQ(first.address.uri.user, "watson");
  ASSERT_TRUE(first.q);
  EXPECT_EQ(*first.q, 700);
  ASSERT_TRUE(first.expires);
  EXPECT_EQ(*first.expires, 3600u);
  const Contact& second = list->contacts[1];
  EXPECT_EQ(second.address.uri.scheme, UriScheme::other);
  EXPECT_EQ(second.address.uri.scheme_name, "mailto");
  EXPECT_EQ(*second.q, 100);
  EXPECT_FALSE(second.expires);
}

TEST(Contact, Rfc3261CompactExample) {
  auto m = parse_message(request_with("m: <sips:bob@192.0.2.4>;expires=60\r\n"));
  auto list = contacts(m);
  ASSERT_TRUE(list) << list.error().reason;
  ASSERT_EQ(list->contacts.size(), 1u);
  EXPECT_EQ(list->contacts[0].address.uri.scheme, UriScheme::sips);
  EXPECT_EQ(list->contacts[0].address.uri.host, "192.0.2.4");
  EXPECT_EQ(*list->contacts[0].expires, 60u);
  EXPECT_FALSE(list->contacts[0].q);
}

TEST(Contact, StarAloneWithLws) {
  for (std::string_view v : {"*", "  *  ", "\r\n *"}) {
    auto list = parse_contact(v);
    ASSERT_TRUE(list) << v;
    EXPECT_TRUE(list->star);
    EXPECT_TRUE(list->contacts.empty());
  }
}

TEST(Contact, StarMixedOrWithParamsIsRejected) {
  for (std::string_view v :
       {"*, <sip:a@example.com>", "<sip:a@example.com>, *", "*;expires=0", "**", "*, *"}) {
    auto list = parse_contact(v);
    ASSERT_FALSE(list) << v;
    EXPECT_EQ(list.error().header, "Contact");
    EXPECT_EQ(list.error().server_status, 400);
  }
}

TEST(Contact, StarOnOneLineAndContactOnAnotherIsRejected) {
  auto m = parse_message(request_with("Contact: *\r\nExpires: 0\r\nContact: <sip:bob@192.0.2.4>\r\n"));
  auto list = contacts(m);
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().category, ErrorCategory::header_syntax);
  auto twice = parse_message(request_with("Contact: *\r\nContact: *\r\n"));
  EXPECT_FALSE(contacts(twice));
  auto alone = parse_message(request_with("Contact: *\r\nExpires: 0\r\n"));
  auto star = contacts(alone);
  ASSERT_TRUE(star);
  EXPECT_TRUE(star->star);
}

TEST(Contact, QValues) {
  struct Case {
    std::string_view q;
    int thousandths;
  };
  for (Case c :
       {Case{"0", 0}, Case{"0.", 0}, Case{"0.5", 500}, Case{"0.33", 330}, Case{"0.333", 333},
        Case{"0.001", 1}, Case{"1", 1000}, Case{"1.", 1000}, Case{"1.0", 1000}, Case{"1.000", 1000}}) {
    auto list = parse_contact("<sip:a@example.com>;q=" + std::string(c.q));
    ASSERT_TRUE(list) << c.q;
    ASSERT_TRUE(list->contacts[0].q);
    EXPECT_EQ(*list->contacts[0].q, c.thousandths) << c.q;
  }
}

TEST(Contact, BadQValuesAreRejected) {
  for (std::string_view q : {"1.001", "2", "0.1234", ".5", "abc", "\"0.5\"", "-0.5", "01", "1.5", "0,5"}) {
    auto list = parse_contact("<sip:a@example.com>;q=" + std::string(q));
    EXPECT_FALSE(list) << q;
  }
  EXPECT_FALSE(parse_contact("<sip:a@example.com>;q"));
  EXPECT_FALSE(parse_contact("<sip:a@example.com>;q="));
}

TEST(Contact, ExpiresBoundsAndOverlargePolicy) {
  auto max = parse_contact("<sip:a@example.com>;expires=4294967295");
  ASSERT_TRUE(max);
  EXPECT_EQ(*max->contacts[0].expires, 4294967295u);
  auto over = parse_contact("<sip:a@example.com>;expires=4294967296", 40);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().header, "Contact");
  EXPECT_GE(over.error().offset, 40u);
  auto saturated = parse_contact("<sip:a@example.com>;expires=4294967296", 0, {Overlarge::saturate});
  ASSERT_TRUE(saturated);
  EXPECT_EQ(*saturated->contacts[0].expires, kMaxDeltaSeconds);
  for (std::string_view e : {"-1", "abc", "1.5", "\"60\"", ""}) {
    EXPECT_FALSE(parse_contact("<sip:a@example.com>;expires=" + std::string(e))) << e;
    // Not even the saturating switch accepts a value that is not digits.
    EXPECT_FALSE(parse_contact("<sip:a@example.com>;expires=" + std::string(e), 0, {Overlarge::saturate}))
        << e;
  }
}

TEST(Contact, AddrSpecParametersBelongToTheHeader) {
  // RFC 3261 §20.10: without <>, everything after ';' is a header parameter, not a URI parameter.
  auto list = parse_contact("sip:alice@pc33.example.com;q=0.5;expires=10, <sip:b@example.com;transport=tcp>");
  ASSERT_TRUE(list) << list.error().reason;
  ASSERT_EQ(list->contacts.size(), 2u);
  EXPECT_TRUE(list->contacts[0].address.uri.params.empty());
  EXPECT_EQ(list->contacts[0].params(), ";q=0.5;expires=10");
  EXPECT_EQ(*list->contacts[0].q, 500);
  EXPECT_EQ(*list->contacts[0].expires, 10u);
  EXPECT_EQ(list->contacts[1].address.uri.params, ";transport=tcp");
  EXPECT_TRUE(list->contacts[1].params().empty());
  EXPECT_FALSE(list->contacts[1].q);
}

TEST(Contact, FirstOfRepeatedParametersCounts) {
  auto list = parse_contact("<sip:a@example.com>;q=0.2;q=0.9");
  ASSERT_TRUE(list);
  EXPECT_EQ(*list->contacts[0].q, 200);
  // Every occurrence is still checked.
  EXPECT_FALSE(parse_contact("<sip:a@example.com>;q=0.2;q=7"));
}

TEST(Contact, OtherParametersKeptRaw) {
  auto list = parse_contact("<sip:a@example.com>;+sip.instance=\"<urn:uuid:f81d4fae>\";reg-id=1;q=0.1");
  ASSERT_TRUE(list) << list.error().reason;
  EXPECT_EQ(*list->contacts[0].param("+sip.instance"), "\"<urn:uuid:f81d4fae>\"");
  EXPECT_EQ(*list->contacts[0].param("reg-id"), "1");
}

TEST(Contact, MalformedValuesAreRejected) {
  for (std::string_view v : {
           "",                                           // Contact needs STAR or a contact-param
           "   ",                                        //
           "<sip:a@example.com>,",                       // empty element at the end
           "<sip:a@example.com>, ,<sip:b@example.com>",  // empty element in the middle
           ",<sip:a@example.com>",                       //
           "\"Joe\" <sip:joe@example.org>;;;;",          // RFC 4475 §3.1.2.1 badinv01: empty params
           "<sip:a@example.com>;",                       // empty parameter
           "\"Unterminated <sip:a@example.com>",         // unterminated display name
           "<sip:a@example.com",                         // missing '>'
           "<sip:a@example.com>;p=\"open",               // unterminated quoted parameter
           "sip:user@example.com?Route=%3Csip:sip.example.com%3E",  // RFC 4475 §3.1.2.13 regbadct
           "<sip:a@example.com> junk",                              //
       }) {
    auto list = parse_contact(v);
    ASSERT_FALSE(list) << v;
    EXPECT_EQ(list.error().header, "Contact") << v;
    EXPECT_EQ(list.error().server_status, 400) << v;
  }
}

TEST(Contact, ErrorReasonNamesTheHeader) {
  auto list = parse_contact("<sip:a@example.com>;q=5", 100);
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().reason.rfind("Malformed Contact", 0), 0u) << list.error().reason;
  EXPECT_EQ(list.error().category, ErrorCategory::header_syntax);
  EXPECT_EQ(list.error().offset, 100u + std::string_view("<sip:a@example.com>;").size());
}

TEST(Contact, NoContactIsAnEmptyList) {
  auto m = parse_message(request_with(""));
  auto list = contacts(m);
  ASSERT_TRUE(list);
  EXPECT_FALSE(list->star);
  EXPECT_TRUE(list->contacts.empty());
}

TEST(Contact, Rfc4475WsinvFoldedCompactContact) {
  auto m = parse_message(read_conformance_file("rfc4475/valid/wsinv.sip"));
  auto list = contacts(m);
  ASSERT_TRUE(list) << list.error().reason;
  ASSERT_EQ(list->contacts.size(), 1u);
  const Contact& c = list->contacts[0];
  EXPECT_EQ(c.address.display_text(), "Quoted string \"\"");
  EXPECT_EQ(c.address.uri.user, "jdrosen");
  ASSERT_TRUE(c.q);
  EXPECT_EQ(*c.q, 330);  // "q = 0.33", with LWS around EQUAL
  EXPECT_EQ(*c.param("newparam"), "newvalue");
  EXPECT_EQ(*c.param("secondparam"), "");
}

TEST(Contact, Rfc4475Esc01EscapedContactUri) {
  auto m = parse_message(read_conformance_file("rfc4475/valid/esc01.sip"));
  auto list = contacts(m);
  ASSERT_TRUE(list) << list.error().reason;
  ASSERT_EQ(list->contacts.size(), 1u);
  const Uri& uri = list->contacts[0].address.uri;
  EXPECT_EQ(uri.user, "cal%6Cer");
  EXPECT_EQ(uri.host, "host5.example.net");
  EXPECT_EQ(uri.params, ";%6C%72;n%61me=v%61lue%25%34%31");
  EXPECT_TRUE(list->contacts[0].params().empty());
}

TEST(Contact, Rfc4475MultipleLinesAndSchemes) {
  auto escnull = parse_message(read_conformance_file("rfc4475/valid/escnull.sip"));
  auto nulls = contacts(escnull);
  ASSERT_TRUE(nulls);
  ASSERT_EQ(nulls->contacts.size(), 2u);
  EXPECT_EQ(nulls->contacts[0].address.uri.user, "%00");
  EXPECT_EQ(nulls->contacts[1].address.uri.user, "%00%00");

  // "C%6Fntact" is another header: two Contact values, not three.
  auto esc02 = parse_message(read_conformance_file("rfc4475/valid/esc02.sip"));
  auto two = contacts(esc02);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->contacts.size(), 2u);
  EXPECT_EQ(two->contacts[1].address.uri.host, "host3.example.com");

  auto unksm2 = parse_message(read_conformance_file("rfc4475/valid/unksm2.sip"));
  auto other = contacts(unksm2);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->contacts[0].address.uri.scheme_name, "name");

  // Compact "M", URI headers inside <> are fine.
  auto regescrt = parse_message(read_conformance_file("rfc4475/valid/regescrt.sip"));
  auto escaped = contacts(regescrt);
  ASSERT_TRUE(escaped) << escaped.error().reason;
  EXPECT_EQ(escaped->contacts[0].address.uri.headers, "Route=%3Csip:sip.example.com%3E");
}

TEST(Contact, Rfc4475Cparam01And02) {
  auto header_param = parse_message(read_conformance_file("rfc4475/valid/cparam01.sip"));
  auto c1 = contacts(header_param);
  ASSERT_TRUE(c1);
  EXPECT_EQ(c1->contacts[0].params(), ";unknownparam");
  EXPECT_TRUE(c1->contacts[0].address.uri.params.empty());
  auto uri_param = parse_message(read_conformance_file("rfc4475/valid/cparam02.sip"));
  auto c2 = contacts(uri_param);
  ASSERT_TRUE(c2);
  EXPECT_TRUE(c2->contacts[0].params().empty());
  EXPECT_EQ(c2->contacts[0].address.uri.params, ";unknownparam");
}

TEST(Contact, Rfc4475RegbadctIsRejected) {
  auto m = Message::parse(read_conformance_file("rfc4475/invalid/regbadct.sip"));
  ASSERT_TRUE(m) << "Contact is parsed lazily; the message frame is fine";
  auto list = contacts(*m);
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().header, "Contact");
}

TEST(Contact, Rfc4475Scalar02OverlargeExpiresParameter) {
  // Take out the CSeq defect so the overlarge expiry values are the only ones left
  // (RFC 4475 §3.1.2.4: "If only the expiry values were in error...").
  std::string text = replace_once(read_conformance_file("rfc4475/invalid/scalar02.sip"),
                                  "CSeq: 36893488147419103232 REGISTER", "CSeq: 3 REGISTER");
  text = replace_once(text, "Max-Forwards: 300", "Max-Forwards: 70");
  auto m = parse_message(text);
  auto strict = contacts(m);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().header, "Contact");
  // The error points into the message, at the expires parameter.
  EXPECT_EQ(std::string_view(text).substr(strict.error().offset, 7), "expires");
  auto saturated = contacts(m, {Overlarge::saturate});
  ASSERT_TRUE(saturated);
  EXPECT_EQ(*saturated->contacts[0].expires, kMaxDeltaSeconds);
}

TEST(Contact, ALastElementEndingInABackslashIsNotDropped) {
  // The backslash escapes nothing: the quoted-string is open, so the value is malformed. Once
  // the list splitter stepped past the end and never handed that element to the parser, and the
  // value parsed as the first contact alone.
  EXPECT_FALSE(parse_contact("<sip:a@example.com>, \"x\\"));
  EXPECT_FALSE(parse_contact("\"A \\"));
}

TEST(Contact, NeverReadsPastTheValue) {
  // Truncations of a busy value: each must return (either way) without tripping ASan.
  std::string_view full =
      "\"A \\\"b\\\"\" <sip:a@example.com;lr>;q=0.5;expires=60;x=\"y,z\", sip:b@example.com;q=1, *";
  for (std::size_t n = 0; n <= full.size(); ++n) {
    const testing::ExactPrefix prefix(full, n);
    const auto contact = parse_contact(prefix.view());
    EXPECT_TRUE(testing::handled_within(contact, n)) << prefix.view();
    if (testing::ends_open(prefix.view())) {
      EXPECT_FALSE(contact) << prefix.view();
    }
  }
}

}  // namespace
}  // namespace osprey::sip
