#include "sip/auth_headers.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sip/conformance_file.hpp"
#include "sip/exact_prefix.hpp"
#include "sip/message.hpp"

namespace osprey::sip {
namespace {

// RFC 7616 §3.9.1, as the header values appear on the wire: folded onto continuation lines.
constexpr std::string_view kRfc7616Sha256Challenge =
    "Digest\r\n"
    "    realm=\"http-auth@example.org\",\r\n"
    "    qop=\"auth, auth-int\",\r\n"
    "    algorithm=SHA-256,\r\n"
    "    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

constexpr std::string_view kRfc7616Md5Challenge =
    "Digest\r\n"
    "    realm=\"http-auth@example.org\",\r\n"
    "    qop=\"auth, auth-int\",\r\n"
    "    algorithm=MD5,\r\n"
    "    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

constexpr std::string_view kRfc7616Sha256Credentials =
    "Digest username=\"Mufasa\",\r\n"
    "    realm=\"http-auth@example.org\",\r\n"
    "    uri=\"/dir/index.html\",\r\n"
    "    algorithm=SHA-256,\r\n"
    "    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "    nc=00000001,\r\n"
    "    cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
    "    qop=auth,\r\n"
    "    response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n"
    "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

constexpr std::string_view kRfc7616Md5Credentials =
    "Digest username=\"Mufasa\",\r\n"
    "    realm=\"http-auth@example.org\",\r\n"
    "    uri=\"/dir/index.html\",\r\n"
    "    algorithm=MD5,\r\n"
    "    nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
    "    nc=00000001,\r\n"
    "    cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\",\r\n"
    "    qop=auth,\r\n"
    "    response=\"8ca523f5e9506fed4657c9700eebdbec\",\r\n"
    "    opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";

// RFC 7616 §3.9.2.
constexpr std::string_view kRfc7616Sha512Challenge =
    "Digest\r\n"
    "    realm=\"api@example.org\",\r\n"
    "    qop=\"auth\",\r\n"
    "    algorithm=SHA-512-256,\r\n"
    "    nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\",\r\n"
    "    opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\",\r\n"
    "    charset=UTF-8,\r\n"
    "    userhash=true";

constexpr std::string_view kRfc7616Sha512Credentials =
    "Digest\r\n"
    "    username=\"488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec\",\r\n"
    "    realm=\"api@example.org\",\r\n"
    "    uri=\"/doe.json\",\r\n"
    "    algorithm=SHA-512-256,\r\n"
    "    nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\",\r\n"
    "    nc=00000001,\r\n"
    "    cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\",\r\n"
    "    qop=auth,\r\n"
    "    response=\"ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd\",\r\n"
    "    opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\",\r\n"
    "    userhash=true";

std::string unfold(std::string_view folded) {
  std::string out;
  for (std::size_t i = 0; i < folded.size(); ++i) {
    if (folded[i] == '\r' && i + 1 < folded.size() && folded[i + 1] == '\n') {
      ++i;
      while (i + 1 < folded.size() && folded[i + 1] == ' ') ++i;
      out.push_back(' ');
    } else {
      out.push_back(folded[i]);
    }
  }
  return out;
}

std::string read_conformance(const std::string& relative) {
  return test_files::read_conformance_file(relative);
}

TEST(AuthHeaders, Rfc7616Sha256Challenge) {
  auto c = parse_challenge(kRfc7616Sha256Challenge);
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->scheme, "Digest");
  EXPECT_TRUE(c->is_digest());
  EXPECT_EQ(c->params().size(), 5u);
  EXPECT_EQ(c->realm(), "http-auth@example.org");
  EXPECT_EQ(c->get("realm"), "\"http-auth@example.org\"");
  EXPECT_EQ(c->nonce(), "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
  EXPECT_EQ(c->opaque(), "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
  EXPECT_EQ(c->algorithm(), DigestAlgorithm::sha256);
  EXPECT_EQ(c->algorithm_name(), "SHA-256");
  EXPECT_EQ(c->qop(), "auth, auth-int");
  EXPECT_TRUE(c->has_qop("auth"));
  EXPECT_TRUE(c->has_qop("auth-int"));
  EXPECT_FALSE(c->has_qop("auth-conf"));
  std::vector<std::string_view> qops;
  c->for_each_qop([&](std::string_view q) {
    qops.push_back(q);
    return true;
  });
  EXPECT_EQ(qops, (std::vector<std::string_view>{"auth", "auth-int"}));
  EXPECT_FALSE(c->stale());
  EXPECT_FALSE(c->userhash());
  EXPECT_FALSE(c->domain());
}

TEST(AuthHeaders, Rfc7616Md5Challenge) {
  auto c = parse_challenge(kRfc7616Md5Challenge, "Proxy-Authenticate");
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->algorithm(), DigestAlgorithm::md5);
  EXPECT_EQ(c->params()[1].name, "qop");
  EXPECT_EQ(c->params()[1].value, "\"auth, auth-int\"");
}

TEST(AuthHeaders, Rfc7616Sha256Credentials) {
  auto a = parse_credentials(kRfc7616Sha256Credentials);
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_EQ(a->params().size(), 10u);
  EXPECT_EQ(a->username(), "Mufasa");
  EXPECT_EQ(a->realm(), "http-auth@example.org");
  EXPECT_EQ(a->uri(), "/dir/index.html");
  EXPECT_EQ(a->algorithm(), DigestAlgorithm::sha256);
  EXPECT_EQ(a->nc(), 1u);
  EXPECT_EQ(a->get("nc"), "00000001");
  EXPECT_EQ(a->cnonce(), "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
  EXPECT_EQ(a->qop(), "auth");
  EXPECT_TRUE(a->has_qop("auth"));
  EXPECT_EQ(a->response(), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  EXPECT_EQ(a->response()->size(), digest_hex_length(a->algorithm()));
  EXPECT_EQ(a->opaque(), "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
  EXPECT_FALSE(a->userhash());
}

TEST(AuthHeaders, Rfc7616Md5Credentials) {
  auto a = parse_credentials(kRfc7616Md5Credentials, "Proxy-Authorization");
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_EQ(a->algorithm(), DigestAlgorithm::md5);
  EXPECT_EQ(a->response(), "8ca523f5e9506fed4657c9700eebdbec");
  EXPECT_EQ(a->response()->size(), digest_hex_length(DigestAlgorithm::md5));
}

TEST(AuthHeaders, Rfc7616Sha512CharsetUserhash) {
  auto c = parse_challenge(kRfc7616Sha512Challenge);
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->algorithm(), DigestAlgorithm::sha512_256);
  EXPECT_TRUE(c->charset_utf8());
  EXPECT_TRUE(c->userhash());
  EXPECT_EQ(c->qop(), "auth");

  auto a = parse_credentials(kRfc7616Sha512Credentials);
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_TRUE(a->userhash());
  EXPECT_EQ(a->algorithm(), DigestAlgorithm::sha512_256);
  EXPECT_EQ(a->username()->size(), 64u);
  EXPECT_EQ(a->uri(), "/doe.json");
}

TEST(AuthHeaders, Rfc3261Examples) {
  // RFC 3261 §22.4.
  auto c = parse_challenge(
      "Digest\r\n        realm=\"biloxi.com\",\r\n        qop=\"auth,auth-int\",\r\n"
      "        nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n"
      "        opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_EQ(c->realm(), "biloxi.com");
  EXPECT_TRUE(c->has_qop("auth-int"));
  EXPECT_EQ(c->algorithm(), DigestAlgorithm::md5);  // RFC 7616 §3.3: absent means MD5
  EXPECT_EQ(c->algorithm_name(), "MD5");

  auto a = parse_credentials(
      "Digest username=\"bob\",\r\n         realm=\"biloxi.com\",\r\n"
      "         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n         uri=\"sip:bob@biloxi.com\",\r\n"
      "         qop=auth,\r\n         nc=00000001,\r\n         cnonce=\"0a4f113b\",\r\n"
      "         response=\"6629fae49393a05397450978507c4ef1\",\r\n"
      "         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_EQ(a->uri(), "sip:bob@biloxi.com");
  EXPECT_EQ(a->cnonce(), "0a4f113b");

  // RFC 3261 §20.27: stale=FALSE (ABNF literals are case-insensitive), an empty opaque, a domain.
  auto p = parse_challenge(
      "Digest realm=\"atlanta.com\",\r\n        domain=\"sip:ss1.carrier.com\", qop=\"auth\",\r\n"
      "        nonce=\"f84f1cec41e6cbe5aea9c8e88d359\",\r\n        opaque=\"\", stale=FALSE, algorithm=MD5",
      "Proxy-Authenticate");
  ASSERT_TRUE(p) << p.error().reason;
  EXPECT_EQ(p->domain(), "sip:ss1.carrier.com");
  EXPECT_EQ(p->opaque(), "");
  EXPECT_FALSE(p->stale());
  auto stale = parse_challenge("Digest realm=\"a\", nonce=\"b\", stale=TRUE");
  ASSERT_TRUE(stale);
  EXPECT_TRUE(stale->stale());

  // RFC 3261 §20.28: its 27-digit response is accepted since RFC 8760 relaxed 32LHEX to *LHEX.
  auto pa = parse_credentials(
      "Digest username=\"Alice\", realm=\"atlanta.com\",\r\n      nonce=\"c60f3082ee1212b402a21831ae\",\r\n"
      "      response=\"245f23415f11432b3434341c022\"",
      "Proxy-Authorization");
  ASSERT_TRUE(pa) << pa.error().reason;
  EXPECT_EQ(pa->response(), "245f23415f11432b3434341c022");
  EXPECT_FALSE(pa->nc());
}

TEST(AuthHeaders, UnknownSchemeIsSchemePlusParams) {
  auto a = parse_credentials("NoOneKnowsThisScheme opaque-data=here");
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_EQ(a->scheme, "NoOneKnowsThisScheme");
  EXPECT_FALSE(a->is_digest());
  EXPECT_TRUE(a->token68.empty());
  ASSERT_EQ(a->params().size(), 1u);
  EXPECT_EQ(a->get("opaque-data"), "here");
  EXPECT_EQ(a->get("OPAQUE-DATA"), "here");
  EXPECT_FALSE(a->get("opaque"));

  // Digest-specific rules do not apply to other schemes: unquoted realm, odd nc.
  auto other = parse_challenge("Custom realm=x, nc=zz, foo=\"bar, baz\"");
  ASSERT_TRUE(other) << other.error().reason;
  EXPECT_EQ(other->text("foo"), "bar, baz");
}

TEST(AuthHeaders, Rfc4475Regaut01ThroughMessage) {
  std::string bytes = read_conformance("rfc4475/valid/regaut01.sip");
  ASSERT_FALSE(bytes.empty());
  auto m = Message::parse(std::move(bytes));
  ASSERT_TRUE(m) << m.error().reason;
  auto all = gather_credentials(*m, HeaderId::authorization);
  ASSERT_TRUE(all) << all.error().reason;
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].scheme, "NoOneKnowsThisScheme");
  EXPECT_EQ((*all)[0].get("opaque-data"), "here");
  auto digest = find_digest_credentials(*m, HeaderId::authorization, "example.com");
  ASSERT_TRUE(digest);
  EXPECT_FALSE(*digest);
}

TEST(AuthHeaders, Token68Credentials) {
  // RFC 8898 / RFC 6750 §2.1: "Bearer" followed by the access token itself.
  auto b = parse_credentials("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl");
  ASSERT_TRUE(b) << b.error().reason;
  EXPECT_EQ(b->scheme, "Bearer");
  EXPECT_EQ(b->token68, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl");
  EXPECT_TRUE(b->params().empty());
  auto basic = parse_credentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==  ");
  ASSERT_TRUE(basic) << basic.error().reason;
  EXPECT_EQ(basic->token68, "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(format_credentials(*basic), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  // Digest has no token68 form.
  EXPECT_FALSE(parse_credentials("Digest QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
  EXPECT_FALSE(parse_credentials("Bearer abc def"));
}

TEST(AuthHeaders, BearerChallenge) {
  constexpr std::string_view kBearer =
      "Bearer realm=\"atlanta.example.com\", scope=\"abc\", "
      "authz_server=\"https://as.example.com:8443/token\"";
  auto c = parse_challenge(kBearer);
  ASSERT_TRUE(c) << c.error().reason;
  EXPECT_TRUE(c->is_scheme("bearer"));
  EXPECT_EQ(c->text("authz_server"), "https://as.example.com:8443/token");
  EXPECT_EQ(format_challenge(*c), kBearer);
}

TEST(AuthHeaders, QuotedPairsAndFoldsAreUnescaped) {
  auto a = parse_credentials(
      "Digest username=\"bo\\\"b\", realm=\"x\\\\y\", nonce=\"a\r\n b\", uri=\"sip:x\", response=\"\"");
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_EQ(a->username(), "bo\"b");
  EXPECT_EQ(a->get("username"), "\"bo\\\"b\"");
  EXPECT_EQ(a->realm(), "x\\y");
  EXPECT_EQ(a->nonce(), "a b");
  EXPECT_EQ(a->unquoted("username"), "bo\"b");
  EXPECT_EQ(a->unquoted("missing"), "");
  EXPECT_EQ(a->response(), "");
  // The unescaped text survives a copy and a move of the AuthParams.
  AuthParams copy = *a;
  AuthParams moved = std::move(*a);
  EXPECT_EQ(copy.username(), "bo\"b");
  EXPECT_EQ(moved.realm(), "x\\y");
}

TEST(AuthHeaders, CaseAndWhitespace) {
  auto a =
      parse_challenge("  DIGEST\tREALM = \"x\" ,NONCE=\"y\"\t,\r\n\tALGORITHM=sha-256-SESS , Stale=true  ");
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_TRUE(a->is_digest());
  EXPECT_EQ(a->realm(), "x");
  EXPECT_EQ(a->nonce(), "y");
  EXPECT_EQ(a->algorithm(), DigestAlgorithm::sha256_sess);
  EXPECT_TRUE(is_session_algorithm(a->algorithm()));
  EXPECT_TRUE(a->stale());
  auto unknown = parse_challenge("Digest realm=\"x\", nonce=\"y\", algorithm=AKAv1-MD5");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->algorithm(), DigestAlgorithm::other);
  EXPECT_EQ(unknown->algorithm_name(), "AKAv1-MD5");
}

TEST(AuthHeaders, UsernameStar) {
  auto a = parse_credentials(
      "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"api@example.org\", uri=\"/doe.json\", "
      "nonce=\"n\", response=\"ab\"");
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_EQ(a->username_ext(), "UTF-8''J%C3%A4s%C3%B8n%20Doe");
  EXPECT_FALSE(a->username());
  EXPECT_FALSE(parse_credentials("Digest username*=UTF-8'J%C3%A4, realm=\"r\""));
  EXPECT_FALSE(parse_credentials("Digest username*=\"UTF-8''x\", realm=\"r\""));
  EXPECT_FALSE(parse_credentials("Digest username*=UTF-8''J%C, realm=\"r\""));
  // RFC 7616 §3.4: not both.
  EXPECT_FALSE(parse_credentials("Digest username=\"a\", username*=UTF-8''a"));
}

void expect_rejected(std::string_view value, bool challenge, std::string_view why) {
  auto r = challenge ? parse_challenge(value, "WWW-Authenticate") : parse_credentials(value, "Authorization");
  ASSERT_FALSE(r) << "accepted: " << value << " (" << why << ")";
  EXPECT_EQ(r.error().category, ErrorCategory::header_syntax);
  EXPECT_EQ(r.error().server_status, 400);
  std::string_view header = challenge ? "WWW-Authenticate" : "Authorization";
  EXPECT_EQ(r.error().header, header);
  EXPECT_EQ(r.error().reason.rfind("Malformed " + std::string(header), 0), 0u) << r.error().reason;
  EXPECT_LE(r.error().offset, value.size());
}

TEST(AuthHeaders, RejectsMalformedCredentials) {
  const std::pair<std::string, std::string_view> cases[] = {
      {"", "empty"},
      {"   ", "blank"},
      {"Digest", "no parameters"},
      {"Digest   ", "no parameters after LWS"},
      {"\"Digest\" realm=\"x\"", "quoted scheme"},
      {"Digest,realm=\"x\"", "no LWS after scheme"},
      {"Digest realm=\"x", "unterminated quote"},
      {"Digest realm=\"x\\", "unterminated quoted-pair"},
      {"Digest username=\"a\", realm \"x\"", "missing '='"},
      {"Digest username=, realm=\"x\"", "missing value"},
      {"Digest username=\"a\",", "trailing comma"},
      {"Digest username=\"a\",, realm=\"x\"", "empty element"},
      {"Digest username=\"a\" realm=\"x\"", "missing comma"},
      {"Digest username=\"a\"x, realm=\"x\"", "garbage after quoted value"},
      {"Digest username=a", "unquoted username"},
      {"Digest uri=sip:a@b", "unquoted uri"},
      {"Digest nc=0000001", "nc with 7 digits"},
      {"Digest nc=000000001", "nc with 9 digits"},
      {"Digest nc=0000000g", "nc not hex"},
      {"Digest nc=0000000A", "nc not lower-case hex"},
      {"Digest nc=\"00000001\"", "quoted nc"},
      {"Digest response=\"xyz\"", "response not hex"},
      // Each neighbour of the two lower-case hex ranges, last in a 64-digit response.
      {"Digest response=\"" + std::string(63, 'a') + "/\"", "response with '/' (before '0')"},
      {"Digest response=\"" + std::string(63, 'a') + ":\"", "response with ':' (after '9')"},
      {"Digest response=\"" + std::string(63, '0') + "`\"", "response with '`' (before 'a')"},
      {"Digest response=\"" + std::string(63, '0') + "g\"", "response with 'g' (after 'f')"},
      {"Digest response=\"" + std::string(63, '0') + "A\"", "response with upper-case hex"},
      {"Digest response=\"" + std::string(63, '0') + "\xc3\xa9\"", "response with UTF-8"},
      {"Digest response=abcdef", "unquoted response"},
      {"Digest qop=\"auth\"", "quoted qop in credentials"},
      {"Digest algorithm=\"MD5\"", "quoted algorithm"},
      {"Digest userhash=maybe", "userhash not a boolean"},
      {"Digest realm=\"a\", REALM=\"b\"", "duplicate parameter, any case"},
      {"Digest realm=\"a\x01\"", "control character in quoted-string"},
      {std::string("Digest realm=\"a\0b\"", 18), "NUL in quoted-string"},
      {"Digest realm=\"a\r\nb\"", "bare CRLF in quoted-string"},
      {"Digest realm=\"a\"\r\n", "CRLF at the end that is not a fold"},
      {"Digest @=\"x\"", "parameter name not a token"},
      {"Basic", "scheme alone"},
      {"Basic a=b c", "junk after param"},
  };
  for (const auto& [value, why] : cases) expect_rejected(value, false, why);
}

TEST(AuthHeaders, RejectsMalformedChallenges) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"Digest realm=example.com", "unquoted realm"},
      {"Digest nonce=abc", "unquoted nonce"},
      {"Digest qop=auth", "unquoted qop list"},
      {"Digest qop=\"auth,,auth-int\"", "empty qop element"},
      {"Digest qop=\"\"", "empty qop list"},
      {"Digest qop=\"auth int\"", "qop values without comma"},
      {"Digest stale=yes", "stale not a boolean"},
      {"Digest charset=ISO-8859-1", "charset other than UTF-8"},
      {"Digest domain=sip:a.com", "unquoted domain"},
      {"Digest realm=\"a\", nonce=\"b\", nonce=\"c\"", "duplicate nonce"},
      {"Digest realm=\"a\",\r\nnonce=\"b\"", "line break that is not a fold"},
  };
  for (const auto& [value, why] : cases) expect_rejected(value, true, why);
}

TEST(AuthHeaders, ErrorOffsetPointsAtTheDefect) {
  auto r = parse_credentials("Digest username=\"a\", nc=12", "Proxy-Authorization");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().offset, 24u);
  EXPECT_EQ(r.error().header, "Proxy-Authorization");
  EXPECT_NE(r.error().reason.find("nc"), std::string::npos) << r.error().reason;
  auto dup = parse_challenge("Digest realm=\"a\", realm=\"b\"");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().offset, 18u);
  EXPECT_NE(dup.error().reason.find("duplicate"), std::string::npos);
}

TEST(AuthHeaders, QuotedTokensTolerance) {
  AuthParseOptions lenient;
  lenient.accept_quoted_tokens = true;
  auto a = parse_credentials("Digest username=\"a\", qop=\"auth\", algorithm=\"SHA-256\", nc=\"0000000a\"",
                             "Authorization", lenient);
  ASSERT_TRUE(a) << a.error().reason;
  EXPECT_EQ(a->qop(), "auth");
  EXPECT_EQ(a->algorithm(), DigestAlgorithm::sha256);
  EXPECT_EQ(a->nc(), 10u);
  // Still not a token inside the quotes.
  EXPECT_FALSE(parse_credentials("Digest algorithm=\"SHA 256\"", "Authorization", lenient));
  // And formatting writes them the RFC 7616 way again.
  EXPECT_EQ(format_credentials(*a), "Digest username=\"a\", qop=auth, algorithm=SHA-256, nc=0000000a");
}

TEST(AuthHeaders, TooManyParameters) {
  std::string value = "Custom ";
  for (int i = 0; i < 40; ++i) value += (i ? ", p" : "p") + std::to_string(i) + "=1";
  auto r = parse_credentials(value);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().reason.find("too many"), std::string::npos);
  std::string ok = "Custom ";
  for (int i = 0; i < 32; ++i) ok += (i ? ", p" : "p") + std::to_string(i) + "=1";
  auto fits = parse_credentials(ok);
  ASSERT_TRUE(fits) << fits.error().reason;
  EXPECT_EQ(fits->params().size(), 32u);
  EXPECT_EQ(fits->get("p31"), "1");
}

TEST(AuthHeaders, FormatChallengeQuotesPerRfc7616) {
  std::string v = format_challenge("Digest", {{"realm", "example.com"},
                                              {"nonce", "abc/def+=="},
                                              {"algorithm", "SHA-256"},
                                              {"qop", "auth,auth-int"},
                                              {"stale", "true"},
                                              {"charset", "UTF-8"},
                                              {"userhash", "false"},
                                              {"opaque", ""},
                                              {"domain", "sip:a.example.com sip:b.example.com"}});
  EXPECT_EQ(v,
            "Digest realm=\"example.com\", nonce=\"abc/def+==\", algorithm=SHA-256, qop=\"auth,auth-int\", "
            "stale=true, charset=UTF-8, userhash=false, opaque=\"\", "
            "domain=\"sip:a.example.com sip:b.example.com\"");
  auto back = parse_challenge(v);
  ASSERT_TRUE(back) << back.error().reason;
  EXPECT_EQ(back->nonce(), "abc/def+==");
  EXPECT_TRUE(back->stale());
  EXPECT_TRUE(back->has_qop("auth-int"));
}

TEST(AuthHeaders, FormatCredentialsReproducesRfc7616) {
  auto a = parse_credentials(kRfc7616Sha256Credentials);
  ASSERT_TRUE(a);
  EXPECT_EQ(format_credentials(*a), unfold(kRfc7616Sha256Credentials));
  auto c = parse_challenge(kRfc7616Sha512Challenge);
  ASSERT_TRUE(c);
  EXPECT_EQ(format_challenge(*c), unfold(kRfc7616Sha512Challenge));
  std::string built =
      format_credentials("Digest", {{"username", "Mufasa"},
                                    {"realm", "http-auth@example.org"},
                                    {"uri", "/dir/index.html"},
                                    {"algorithm", "MD5"},
                                    {"nonce", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"},
                                    {"nc", "00000001"},
                                    {"cnonce", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"},
                                    {"qop", "auth"},
                                    {"response", "8ca523f5e9506fed4657c9700eebdbec"},
                                    {"opaque", "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"}});
  EXPECT_EQ(built, unfold(kRfc7616Md5Credentials));
}

TEST(AuthHeaders, FormatEscapesAndCannotBreakTheLine) {
  std::string v = format_challenge("Digest", {{"realm", "a\"b\\c\r\nInjected: x"}, {"nonce", "n"}});
  EXPECT_EQ(v, "Digest realm=\"a\\\"b\\\\cInjected: x\", nonce=\"n\"");
  EXPECT_EQ(v.find('\r'), std::string::npos);
  auto back = parse_challenge(v);
  ASSERT_TRUE(back) << back.error().reason;
  EXPECT_EQ(back->realm(), "a\"b\\cInjected: x");
  // A token-only parameter given a non-token is quoted so the value stays parseable.
  EXPECT_EQ(format_challenge("Digest", {{"algorithm", "a b"}}), "Digest algorithm=\"a b\"");
  // Unknown parameters keep the caller's choice; a name that is not a token is skipped.
  EXPECT_EQ(format_challenge("Digest", {{"x-a", "1"}, {"x-b", "2", true}, {"bad name", "3"}, {"x-c", "a b"}}),
            "Digest x-a=1, x-b=\"2\", x-c=\"a b\"");
}

constexpr std::string_view k401 =
    "SIP/2.0 401 Unauthorized\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds7\r\n"
    "To: <sip:bob@biloxi.com>;tag=a6c85cf\r\n"
    "From: <sip:bob@biloxi.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 1 REGISTER\r\n"
    "WWW-Authenticate: Digest realm=\"biloxi.com\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\"\r\n"
    "WWW-Authenticate: Digest realm=\"biloxi.com\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(AuthHeaders, GatherChallengesKeepsOrder) {
  // RFC 8760: one challenge per algorithm, the preferred one first.
  auto m = Message::parse(std::string(k401));
  ASSERT_TRUE(m) << m.error().reason;
  auto all = gather_challenges(*m, HeaderId::www_authenticate);
  ASSERT_TRUE(all) << all.error().reason;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].algorithm(), DigestAlgorithm::sha256);
  EXPECT_EQ((*all)[1].algorithm(), DigestAlgorithm::md5);
  auto none = gather_challenges(*m, HeaderId::proxy_authenticate);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

constexpr std::string_view kRegister =
    "REGISTER sip:biloxi.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds7\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:bob@biloxi.com>\r\n"
    "From: <sip:bob@biloxi.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 2 REGISTER\r\n"
    "Authorization: Digest username=\"bob\", realm=\"atlanta.com\", nonce=\"n0\", uri=\"sip:biloxi.com\",\r\n"
    " response=\"0123456789abcdef0123456789abcdef\"\r\n"
    "Authorization: Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"n1\", uri=\"sip:biloxi.com\", "
    "response=\"fedcba9876543210fedcba9876543210\"\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

TEST(AuthHeaders, FindDigestCredentialsByRealm) {
  auto m = Message::parse(std::string(kRegister));
  ASSERT_TRUE(m) << m.error().reason;
  auto biloxi = find_digest_credentials(*m, HeaderId::authorization, "biloxi.com");
  ASSERT_TRUE(biloxi) << biloxi.error().reason;
  ASSERT_TRUE(*biloxi);
  EXPECT_EQ((*biloxi)->nonce(), "n1");
  auto atlanta = find_digest_credentials(*m, HeaderId::authorization, "atlanta.com");
  ASSERT_TRUE(atlanta && *atlanta);
  EXPECT_EQ((*atlanta)->nonce(), "n0");
  auto other = find_digest_credentials(*m, HeaderId::authorization, "BILOXI.COM");
  ASSERT_TRUE(other);
  EXPECT_FALSE(*other);
}

TEST(AuthHeaders, GatherReportsMessageOffset) {
  std::string text(kRegister);
  std::size_t at = text.find("nonce=\"n1\"");
  text.replace(at, 10, "nonce=n1  ");
  auto m = Message::parse(text);
  ASSERT_TRUE(m) << m.error().reason;
  auto all = gather_credentials(*m, HeaderId::authorization);
  ASSERT_FALSE(all);
  EXPECT_EQ(all.error().offset, at + 6);
  EXPECT_EQ(all.error().header, "Authorization");
}

TEST(AuthHeaders, AlgorithmNames) {
  EXPECT_EQ(digest_algorithm_from("md5-SESS"), DigestAlgorithm::md5_sess);
  EXPECT_EQ(digest_algorithm_from("SHA-512-256-sess"), DigestAlgorithm::sha512_256_sess);
  EXPECT_EQ(digest_algorithm_from("SHA-512"), DigestAlgorithm::other);
  EXPECT_EQ(to_string(DigestAlgorithm::sha256_sess), "SHA-256-sess");
  EXPECT_EQ(to_string(DigestAlgorithm::other), "");
  EXPECT_EQ(digest_hex_length(DigestAlgorithm::sha512_256_sess), 64u);
  EXPECT_EQ(digest_hex_length(DigestAlgorithm::other), 0u);
  EXPECT_FALSE(is_session_algorithm(DigestAlgorithm::sha256));
}

TEST(AuthHeaders, EveryPrefixAndByteIsHandled) {
  // What the fuzz target does, in small: no prefix and no single-byte change may crash or hang.
  const auto credentials = [](std::string_view v) { return parse_credentials(v); };
  const auto challenge = [](std::string_view v) { return parse_challenge(v); };
  testing::expect_every_prefix_handled(kRfc7616Sha256Credentials, 0, credentials, challenge);
  testing::expect_every_prefix_handled(kRfc7616Sha512Challenge, 1, credentials, challenge);
  for (std::string_view base : {kRfc7616Sha256Credentials, kRfc7616Sha512Challenge}) {
    std::string mutated(base);
    for (std::size_t i = 0; i < mutated.size(); i += 7) {
      for (int b = 0; b < 256; b += 5) {
        char saved = mutated[i];
        mutated[i] = static_cast<char>(b);
        auto a = parse_credentials(mutated);
        auto c = parse_challenge(mutated);
        if (a) (void)format_credentials(*a);
        if (c) (void)format_challenge(*c);
        mutated[i] = saved;
      }
    }
  }
}

}  // namespace
}  // namespace osprey::sip
