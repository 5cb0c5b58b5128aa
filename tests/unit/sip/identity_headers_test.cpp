#include "sip/identity_headers.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"

#include <string>

#include "sip/message.hpp"

namespace osprey::sip {
namespace {

std::string request_with(std::string_view extra_headers) {
  std::string m =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
      "Max-Forwards: 70\r\n"
      "To: Bob <sip:bob@biloxi.example.com>\r\n"
      "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
      "CSeq: 314159 INVITE\r\n";
  m += extra_headers;
  m += "Content-Length: 0\r\n\r\n";
  return m;
}

using test_files::expect_malformed;

// --- P-Asserted-Identity / P-Preferred-Identity (RFC 3325) ---

TEST(IdentityHeaders, AssertedIdentityRfc3325Examples) {
  auto named = parse_asserted_identity("\"Cullen Jennings\" <sip:fluffy@cisco.com>");
  ASSERT_TRUE(named) << named.error().reason;
  EXPECT_EQ(named->display_text(), "Cullen Jennings");
  EXPECT_TRUE(named->bracketed);
  EXPECT_EQ(named->uri.user, "fluffy");
  EXPECT_EQ(named->uri.host, "cisco.com");

  auto tel = parse_asserted_identity("tel:+14085264000");
  ASSERT_TRUE(tel) << tel.error().reason;
  EXPECT_EQ(tel->uri.scheme, UriScheme::tel);
  EXPECT_EQ(tel->uri.user, "+14085264000");
  EXPECT_FALSE(tel->bracketed);
}

TEST(IdentityHeaders, AssertedIdentityAddrSpecKeepsUriParameters) {
  // No header parameters exist for PAI, so ";user=phone" is the URI's own.
  auto a = parse_asserted_identity("  sip:+14085264000@cisco.com;user=phone ");
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_EQ(a->uri.param("user"), "phone");
  EXPECT_TRUE(a->params.empty());
  EXPECT_EQ(a->text, "sip:+14085264000@cisco.com;user=phone");
}

TEST(IdentityHeaders, AssertedIdentityRejects) {
  const std::string_view cases[] = {
      "<sip:fluffy@cisco.com>;tag=1",  // RFC 3325 §9.1: no parameters
      "<sip:fluffy@cisco.com",         // unterminated <
      "Cullen <tel:+1",                // unterminated <
      "sip:a@b.com?Subject=x",         // headers outside <>
      "\"Cullen <sip:a@b.com>",        // unterminated display name
      "fluffy@cisco.com",              // no scheme
      "",
      "   ",
  };
  for (std::string_view c : cases) {
    auto r = parse_asserted_identity(c, "P-Preferred-Identity");
    ASSERT_FALSE(r) << "accepted: " << c;
    expect_malformed(r.error(), "P-Preferred-Identity");
  }
}

TEST(IdentityHeaders, AssertedIdentitiesThroughMessage) {
  auto m = Message::parse(
      request_with("P-Asserted-Identity: \"Cullen Jennings\" <sip:fluffy@cisco.com>, tel:+14085264000\r\n"
                   "P-Asserted-Identity: <sips:fluffy@cisco.com>\r\n"
                   "P-Preferred-Identity: \"Cullen, Jennings\" <sip:fluffy@cisco.com>\r\n"));
  ASSERT_TRUE(m) << m.error().reason;
  auto pai = asserted_identities(*m);
  ASSERT_TRUE(pai) << pai.error().reason;
  ASSERT_EQ(pai->size(), 3u);
  EXPECT_EQ((*pai)[0].uri.user, "fluffy");
  EXPECT_EQ((*pai)[1].uri.scheme, UriScheme::tel);
  EXPECT_EQ((*pai)[2].uri.scheme, UriScheme::sips);
  auto ppi = preferred_identities(*m);
  ASSERT_TRUE(ppi) << ppi.error().reason;
  ASSERT_EQ(ppi->size(), 1u);
  EXPECT_EQ((*ppi)[0].display_text(), "Cullen, Jennings");
}

TEST(IdentityHeaders, AssertedIdentitiesEmptyElementIsAnError) {
  std::string text = request_with("P-Asserted-Identity: <sip:a@b.com>, , tel:+1234\r\n");
  auto m = Message::parse(text);
  ASSERT_TRUE(m) << m.error().reason;
  auto pai = asserted_identities(*m);
  ASSERT_FALSE(pai);
  expect_malformed(pai.error(), "P-Asserted-Identity");
  EXPECT_EQ(pai.error().offset, text.find(", , tel") + 2);
  auto none = preferred_identities(*m);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

// --- Privacy (RFC 3323 §4.2, RFC 3325 §9.3) ---

TEST(IdentityHeaders, PrivacyValues) {
  auto id = parse_privacy("id");
  ASSERT_TRUE(id) << id.error().reason;
  EXPECT_TRUE(id->has(kPrivacyId));
  EXPECT_FALSE(id->has(kPrivacyHeader));
  ASSERT_EQ(id->values.size(), 1u);

  auto several = parse_privacy("header;session;user;critical");
  ASSERT_TRUE(several) << several.error().reason;
  EXPECT_EQ(several->flags, kPrivacyHeader | kPrivacySession | kPrivacyUser | kPrivacyCritical);
  ASSERT_EQ(several->values.size(), 4u);
  EXPECT_EQ(several->values[3], "critical");

  auto spaced = parse_privacy(" ID ; History\t;\r\n none ");
  ASSERT_TRUE(spaced) << spaced.error().reason;
  EXPECT_EQ(spaced->flags, kPrivacyId | kPrivacyHistory | kPrivacyNone);
  EXPECT_EQ(spaced->values[0], "ID");

  auto unknown = parse_privacy("x-carrier;user");
  ASSERT_TRUE(unknown);
  EXPECT_TRUE(unknown->has(kPrivacyOther));
  EXPECT_TRUE(unknown->has(kPrivacyUser));
}

TEST(IdentityHeaders, PrivacyRejects) {
  for (std::string_view c :
       {"", " ", "header;", ";header", "header;;user", "header,user", "header user", "\"id\"", "id=1"}) {
    auto r = parse_privacy(c);
    ASSERT_FALSE(r) << "accepted: " << c;
    expect_malformed(r.error(), "Privacy");
  }
}

TEST(IdentityHeaders, PrivacyThroughMessageMergesLines) {
  auto m = Message::parse(request_with("Privacy: id\r\nPrivacy: header;critical\r\n"));
  ASSERT_TRUE(m) << m.error().reason;
  auto p = privacy(*m);
  ASSERT_TRUE(p) << p.error().reason;
  EXPECT_EQ(p->flags, kPrivacyId | kPrivacyHeader | kPrivacyCritical);
  EXPECT_EQ(p->values.size(), 3u);

  auto bare = Message::parse(request_with(""));
  ASSERT_TRUE(bare);
  auto none = privacy(*bare);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(none->flags, 0);
}

// --- Reply-To (RFC 3261 §20.31) ---

TEST(IdentityHeaders, ReplyTo) {
  auto r = parse_reply_to("Bob <sip:bob@biloxi.com>;x-param=1");
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->display_text(), "Bob");
  EXPECT_EQ(r->param("x-param"), "1");
  auto spec = parse_reply_to("sip:bob@biloxi.com");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->uri.host, "biloxi.com");
  for (std::string_view bad :
       {"Bob <sip:bob@biloxi.com", "<sip:a@b.com>, <sip:c@d.com>", "", "<sip:a@b.com>;=x"}) {
    auto e = parse_reply_to(bad);
    ASSERT_FALSE(e) << "accepted: " << bad;
    expect_malformed(e.error(), "Reply-To");
  }
}

// --- Identity (RFC 8224, PASSporT RFC 8225) ---

constexpr std::string_view kJwsHeader =
    "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jZXJ0LmV4YW1wbGUub3Jn"
    "L3Bh"
    "c3Nwb3J0LnBlbSJ9";
constexpr std::string_view kJwsPayload =
    "eyJhdHRlc3QiOiJBIiwiZGVzdCI6eyJ0biI6WyIxMjE1NTU1MTIxMyJdfSwiaWF0IjoxNDQzMjA4MzQ1LCJvcmlnIjp7InRuIjoiMTIx"
    "NTU1"
    "NTEyMTIifSwib3JpZ2lkIjoiMTIzZTQ1NjctZTg5Yi0xMmQzLWE0NTYtNDI2NjU1NDQwMDAwIn0";
constexpr std::string_view kJwsSignature =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-Pw";

std::string passport() {
  return std::string(kJwsHeader) + "." + std::string(kJwsPayload) + "." + std::string(kJwsSignature);
}

TEST(IdentityHeaders, IdentityFullForm) {
  std::string value = passport() + ";info=<https://cert.example.org/passport.pem>;alg=ES256;ppt=shaken";
  auto id = parse_identity(value);
  ASSERT_TRUE(id) << id.error().reason;
  EXPECT_EQ(id->digest, passport());
  EXPECT_EQ(id->jws_header, kJwsHeader);
  EXPECT_EQ(id->payload, kJwsPayload);
  EXPECT_EQ(id->signature, kJwsSignature);
  EXPECT_FALSE(id->compact());
  EXPECT_EQ(id->info, "https://cert.example.org/passport.pem");
  EXPECT_EQ(id->alg, "ES256");
  EXPECT_EQ(id->ppt, "shaken");
  EXPECT_EQ(id->params, ";info=<https://cert.example.org/passport.pem>;alg=ES256;ppt=shaken");
}

TEST(IdentityHeaders, IdentityFoldedWithLwsAndExtensions) {
  std::string value = "  " + passport() +
                      " ;\r\n info = <https://cert.example.org/passport.pem> ;\r\n\talg=ES256 ; x-ext ; "
                      "x-q=\"a;b\" ; ppt=\"div\"  ";
  auto id = parse_identity(value);
  ASSERT_TRUE(id) << id.error().reason;
  EXPECT_EQ(id->info, "https://cert.example.org/passport.pem");
  EXPECT_EQ(id->ppt, "div");  // a quoted ppt is tolerated and unquoted
  EXPECT_EQ(id->signature, kJwsSignature);
  EXPECT_EQ(id->params.back(), '"');
}

TEST(IdentityHeaders, IdentityCompactForm) {
  std::string value = ".." + std::string(kJwsSignature) + ";info=<https://cert.example.org/passport.pem>";
  auto id = parse_identity(value);
  ASSERT_TRUE(id) << id.error().reason;
  EXPECT_TRUE(id->compact());
  EXPECT_TRUE(id->payload.empty());
  EXPECT_EQ(id->signature, kJwsSignature);
  EXPECT_FALSE(id->alg);
  EXPECT_FALSE(id->ppt);
}

TEST(IdentityHeaders, IdentityLongValue) {
  // A PASSporT with a large payload (rcd, RFC 9795-style claims) is ~2 KB; that is normal.
  std::string payload(1900, 'A');
  std::string value = std::string(kJwsHeader) + "." + payload + "." + std::string(kJwsSignature) +
                      ";info=<https://cert.example.org/passport.pem>;alg=ES256;ppt=rcd";
  auto id = parse_identity(value);
  ASSERT_TRUE(id) << id.error().reason;
  EXPECT_EQ(id->payload.size(), 1900u);
  EXPECT_EQ(id->ppt, "rcd");
}

TEST(IdentityHeaders, IdentityRejects) {
  const std::string sig(kJwsSignature);
  const std::string info = ";info=<https://cert.example.org/passport.pem>";
  const std::pair<std::string, std::string_view> cases[] = {
      {passport(), "no info (RFC 8224 §4)"},
      {passport() + ";alg=ES256", "no info, with alg"},
      {passport() + ";info=https://cert.example.org/passport.pem", "info not in <>"},
      {passport() + ";info=<>", "empty info URI"},
      {passport() + ";info=<https://cert.example.org/passport.pem", "unterminated <"},
      {passport() + ";info=<cert.pem>", "info not an absoluteURI"},
      {passport() + info + ";info=<https://b.example/c>", "duplicate info"},
      {passport() + info + ";alg", "alg without value"},
      {passport() + info + ";alg=", "alg with empty value"},
      {passport() + info + ";ppt=\"sha ken\"", "quoted ppt that is not a token"},
      {passport() + info + ";ppt=\"shaken", "unterminated quoted ppt"},
      {passport() + info + ";ppt=a;PPT=b", "duplicate ppt"},
      {passport() + info + " garbage", "trailing garbage"},
      {passport() + info + ";", "trailing ';'"},
      {passport() + info + ";;alg=ES256", "empty parameter"},
      {passport() + " " + info.substr(1), "missing ';' before info"},
      {"a.b" + info, "two parts"},
      {"a.b.c.d" + info, "four parts"},
      {"a+b.c.d" + info, "'+' is base64, not base64url (erratum 6499)"},
      {"a.b/c.d" + info, "'/' is base64, not base64url"},
      {"a.b.c==" + info, "padding"},
      {".b.c" + info, "header missing but payload present"},
      {"a..c" + info, "payload missing but header present"},
      {"a.b." + info, "empty signature"},
      {"..." + info, "empty everything"},
      {info, "no digest"},
      {"", "empty"},
  };
  for (const auto& [value, why] : cases) {
    auto r = parse_identity(value);
    ASSERT_FALSE(r) << "accepted: " << value << " (" << why << ")";
    expect_malformed(r.error(), "Identity");
    EXPECT_LE(r.error().offset, value.size()) << why;
  }
}

TEST(IdentityHeaders, IdentitiesThroughMessage) {
  std::string headers = "Identity: " + passport() +
                        ";\r\n  info=<https://cert.example.org/passport.pem>;alg=ES256\r\n" + "y: .." +
                        std::string(kJwsSignature) + ";info=<https://cert.example.org/div.pem>;ppt=div\r\n";
  auto m = Message::parse(request_with(headers));
  ASSERT_TRUE(m) << m.error().reason;
  auto all = identities(*m);
  ASSERT_TRUE(all) << all.error().reason;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_FALSE((*all)[0].compact());
  EXPECT_EQ((*all)[0].alg, "ES256");
  EXPECT_TRUE((*all)[1].compact());
  EXPECT_EQ((*all)[1].info, "https://cert.example.org/div.pem");
  EXPECT_EQ((*all)[1].ppt, "div");
}

TEST(IdentityHeaders, IdentityErrorOffsetInMessage) {
  std::string headers = "Identity: a.b.c;info=<https://x.example/c>;alg=\r\n";
  std::string text = request_with(headers);
  auto m = Message::parse(text);
  ASSERT_TRUE(m) << m.error().reason;
  auto all = identities(*m);
  ASSERT_FALSE(all);
  expect_malformed(all.error(), "Identity");
  EXPECT_EQ(all.error().offset, text.find("alg=") + 4);
}

TEST(IdentityHeaders, EveryPrefixAndByteIsHandled) {
  std::string base = passport() + ";info=<https://cert.example.org/passport.pem>;alg=ES256;ppt=\"shaken\"";
  for (std::size_t n = 0; n <= base.size(); n += 3) (void)parse_identity(std::string_view(base).substr(0, n));
  for (std::string_view b :
       {std::string_view("\"Cullen\" <sip:fluffy@cisco.com>"), std::string_view("id;header")}) {
    for (std::size_t n = 0; n <= b.size(); ++n) {
      (void)parse_asserted_identity(b.substr(0, n));
      (void)parse_privacy(b.substr(0, n));
      (void)parse_reply_to(b.substr(0, n));
    }
  }
  for (std::size_t i = 0; i < base.size(); i += 11) {
    for (int c = 0; c < 256; c += 3) {
      std::string mutated = base;
      mutated[i] = static_cast<char>(c);
      (void)parse_identity(mutated);
    }
  }
}

}  // namespace
}  // namespace osprey::sip

namespace osprey::sip {
namespace {

TEST(IdentityHeaders, AcceptsLegacyRfc4474SignatureOnly) {
  // RFC 4475 §3.1.1.11 (mpart01) carries an RFC 4474 base64 signature without parameters.
  const std::string legacy =
      "r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9"
      "WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=";
  auto id = parse_identity(legacy);
  ASSERT_TRUE(id) << id.error().reason;
  EXPECT_TRUE(id->legacy);
  EXPECT_EQ(id->signature, legacy);
  const std::string quoted_text = "\"" + legacy + "\"";
  auto quoted = parse_identity(quoted_text);
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->signature, legacy);
  // Short or unpadded base64 is neither form.
  EXPECT_FALSE(parse_identity("abc"));
  EXPECT_FALSE(parse_identity(legacy.substr(1)));
  EXPECT_FALSE(parse_rfc8224_identity(legacy));
}

}  // namespace
}  // namespace osprey::sip

namespace osprey::sip {
namespace {

// The digest is read sixteen bytes at a time: every byte value, at every position across two
// blocks, must end the digest exactly where the base64url alphabet and '.' (RFC 8225 §7,
// RFC 4648 §5) end, as a byte-by-byte reading would.
TEST(Identity, DigestEndsAtTheFirstByteOutsideBase64urlAtAnyPosition) {
  auto in_digest = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  const std::string kInfo = ";info=<https://cert.example.com/c.pem>";
  for (std::size_t filler = 0; filler <= 40; ++filler) {
    for (int byte = 1; byte < 256; ++byte) {
      const auto c = static_cast<unsigned char>(byte);
      const std::string value =
          "ab.cd.ef" + std::string(filler, 'x') + std::string(1, static_cast<char>(c)) + "q" + kInfo;
      auto identity = parse_rfc8224_identity(value);
      const std::size_t end = 8 + filler;  // where the byte sits
      if (in_digest(c) && c != '.') {
        ASSERT_TRUE(identity) << "byte " << byte << " after " << filler << ": " << identity.error().reason;
        EXPECT_EQ(identity->digest.size(), value.size() - kInfo.size());
      } else if (!in_digest(c) && c != ';' && c != ' ' && c != '\t' && c != '\r') {
        ASSERT_FALSE(identity) << "byte " << byte << " after " << filler;
        EXPECT_EQ(identity.error().offset, end) << "byte " << byte << " after " << filler;
        EXPECT_NE(identity.error().reason.find("must be base64url"), std::string::npos)
            << identity.error().reason;
      }
    }
  }
}

}  // namespace
}  // namespace osprey::sip
