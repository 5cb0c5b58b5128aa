#include "sip/product_headers.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"
#include "sip/message.hpp"
#include "sip/text_rules.hpp"

namespace osprey::sip {
namespace {

using test_files::read_conformance_file;

TEST(ProductHeaders, Rfc3261Examples) {
  auto ua = parse_server_values("Softphone Beta1.5", "User-Agent");  // §20.41
  ASSERT_TRUE(ua);
  ASSERT_EQ(ua->size(), 2u);
  EXPECT_EQ((*ua)[0].product, "Softphone");
  EXPECT_TRUE((*ua)[0].version.empty());
  EXPECT_EQ((*ua)[1].product, "Beta1.5");
  auto server = parse_server_values("HomeServer v2", "Server");  // §20.35
  ASSERT_TRUE(server);
  ASSERT_EQ(server->size(), 2u);
  EXPECT_EQ((*server)[1].product, "v2");
}

TEST(ProductHeaders, ProductsVersionsAndNestedComments) {
  auto v = parse_server_values("osprey/0.1 (Linux; x86_64 (kvm) \\) ok)Lib / 2.0\r\n (c)", "Server");
  ASSERT_TRUE(v) << v.error().reason;
  ASSERT_EQ(v->size(), 4u);
  EXPECT_EQ((*v)[0].product, "osprey");
  EXPECT_EQ((*v)[0].version, "0.1");
  EXPECT_FALSE((*v)[0].is_comment());
  EXPECT_TRUE((*v)[1].is_comment());
  EXPECT_EQ((*v)[1].comment, "(Linux; x86_64 (kvm) \\) ok)");
  EXPECT_EQ((*v)[2].product, "Lib");
  EXPECT_EQ((*v)[2].version, "2.0");
  EXPECT_EQ((*v)[3].comment, "(c)");
}

TEST(ProductHeaders, Utf8InComments) {
  auto v = parse_server_values("X/1 (caf\xC3\xA9 \xE2\x82\xAC)", "User-Agent");
  ASSERT_TRUE(v) << v.error().reason;
  EXPECT_EQ((*v)[1].comment, "(caf\xC3\xA9 \xE2\x82\xAC)");
}

TEST(ProductHeaders, MalformedServerValues) {
  for (std::string_view bad : {"", "   ", "Foo/", "Foo/ ", "/1.0", "Foo/1.0/2.0", "(unterminated",
                               "Foo (a (b)", "Foo )", "Foo \"quoted\"", "Foo (bad\x01)", "Foo (x\\\x80)",
                               "Foo (\xC3)", "Foo (\xFE)", "Foo (a\r\nb)", "Foo@bar"}) {
    auto v = parse_server_values(bad, "User-Agent", 2);
    ASSERT_FALSE(v) << bad;
    EXPECT_EQ(v.error().header, "User-Agent") << bad;
    EXPECT_GE(v.error().offset, 2u);
  }
}

TEST(ProductHeaders, FromMessage) {
  auto m = Message::parse(read_conformance_file("rfc4475/valid/mpart01.sip"));
  ASSERT_TRUE(m);
  auto ua = server_values(*m, HeaderId::user_agent);
  ASSERT_TRUE(ua) << ua.error().reason;
  ASSERT_TRUE(*ua);
  ASSERT_EQ((*ua)->size(), 2u);
  EXPECT_EQ((**ua)[0].product, "SIPimp.org");
  EXPECT_EQ((**ua)[0].version, "0.2.5");
  EXPECT_EQ((**ua)[1].comment, "(curses)");
  auto server = server_values(*m, HeaderId::server);
  ASSERT_TRUE(server);
  EXPECT_FALSE(*server);
}

TEST(ProductHeaders, TextUtf8) {
  auto subject = parse_text_utf8("Need more boxes", "Subject");  // §20.36
  ASSERT_TRUE(subject);
  EXPECT_EQ(*subject, "Need more boxes");
  auto folded = parse_text_utf8("  Tsch\xC3\xBC\xC3\x9F\r\n  und   weg \t", "Subject");
  ASSERT_TRUE(folded);
  EXPECT_EQ(*folded, "Tsch\xC3\xBC\xC3\x9F\r\n  und   weg");
  auto empty = parse_text_utf8("", "Subject");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_TRUE(parse_text_utf8("Boxes by Bob", "Organization"));  // §20.25
  for (std::string_view bad :
       {std::string_view("a\0b", 3), std::string_view("bell\x07"), std::string_view("a\rb"),
        std::string_view("a\nb"), std::string_view("a\r\nb"), std::string_view("x\x7F"),
        std::string_view("\xC3"), std::string_view("\xC3(", 2), std::string_view("\xE2\x82"),
        std::string_view("\xFE"), std::string_view("\x80"), std::string_view("trailing\r")}) {
    auto t = parse_text_utf8(bad, "Organization", 4);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().header, "Organization");
    EXPECT_EQ(t.error().offset, 4u);
  }
}

TEST(ProductHeaders, Rfc4475WsinvEmptyCompactSubject) {
  auto m = Message::parse(read_conformance_file("rfc4475/valid/wsinv.sip"));
  ASSERT_TRUE(m);
  auto subject = text_header(*m, HeaderId::subject);  // "s :" with nothing after it
  ASSERT_TRUE(subject) << subject.error().reason;
  ASSERT_TRUE(*subject);
  EXPECT_TRUE((*subject)->empty());
  auto organization = text_header(*m, HeaderId::organization);
  ASSERT_TRUE(organization);
  EXPECT_FALSE(*organization);
}

TEST(ProductHeaders, Utf8NonAsciiGrammar) {
  EXPECT_EQ(utf8_nonascii_length("\xC3\xA9"), 2u);
  EXPECT_EQ(utf8_nonascii_length("\xE2\x82\xAC"), 3u);
  EXPECT_EQ(utf8_nonascii_length("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(utf8_nonascii_length("\xF8\x80\x80\x80\x80"), 5u);      // allowed by RFC 3261 §25.1
  EXPECT_EQ(utf8_nonascii_length("\xFC\x80\x80\x80\x80\x80"), 6u);  // likewise
  EXPECT_EQ(utf8_nonascii_length("a"), 0u);
  EXPECT_EQ(utf8_nonascii_length("\xC3"), 0u);
  EXPECT_EQ(utf8_nonascii_length("\xC3\x41"), 0u);
  EXPECT_EQ(utf8_nonascii_length("\xFE\x80"), 0u);
  EXPECT_EQ(utf8_nonascii_length(""), 0u);
}

}  // namespace
}  // namespace osprey::sip
