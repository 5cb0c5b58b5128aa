#include "security/digest_authenticator.hpp"

#include <cctype>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "security/digest_hash.hpp"
#include "security/fake_user_store.hpp"

namespace osprey::security {
namespace {

using security::testing::FakeUserStore;
using sip::DigestAlgorithm;
using sip::HeaderId;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kRealm = "example.com";

// RFC 7616 §3.9.1 (and RFC 2617 §3.5 for the last one).
constexpr std::string_view kRfc7616Nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr std::string_view kRfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
constexpr std::string_view kRfc7616Realm = "http-auth@example.org";

std::string hex(DigestAlgorithm algorithm, std::initializer_list<std::string_view> parts) {
  const auto value = digest_hex(algorithm, parts);
  EXPECT_TRUE(value) << value.error();
  return value.value_or("");
}

// The Authorization value a client computes (RFC 7616 §3.4.1), from the parts a test varies.
struct ClientCredentials {
  std::string user = "alice";
  std::string realm = std::string(kRealm);
  std::string password = "wonderland";
  std::string nonce;
  std::string uri = "sip:example.com";
  std::string method = "REGISTER";  // the method the client hashes
  std::string cnonce = "0a4f113b";
  std::string nc = "00000001";
  std::string qop = "auth";
  DigestAlgorithm algorithm = DigestAlgorithm::sha256;
  std::set<std::string> omit;                              // parameters left out
  std::vector<std::pair<std::string, std::string>> extra;  // parameters added at the end

  std::string response() const {
    // -sess and unknown algorithms hash like their base: the verdict does not get that far.
    const DigestAlgorithm base = algorithm == DigestAlgorithm::sha256 ? algorithm : DigestAlgorithm::md5;
    const auto ha1 = digest_ha1(base, user, realm, password);
    EXPECT_TRUE(ha1);
    return hex(base, {ha1.value_or(""), nonce, nc, cnonce, qop, hex(base, {method, uri})});
  }

  std::string value() const {
    const std::string digest = response();
    const std::string algorithm_name(algorithm == DigestAlgorithm::other ? "SHA-999"
                                                                         : sip::to_string(algorithm));
    const std::vector<std::pair<std::string, std::string>> all = {
        {"username", user}, {"realm", realm},     {"nonce", nonce},
        {"uri", uri},       {"response", digest}, {"algorithm", algorithm_name},
        {"qop", qop},       {"nc", nc},           {"cnonce", cnonce}};
    std::vector<sip::AuthField> fields;
    for (const auto& [name, text] : all)
      if (!omit.contains(name)) fields.push_back({name, text});
    for (const auto& [name, text] : extra) fields.push_back({name, text});
    return sip::format_credentials("Digest", fields);
  }
};

std::string register_text(std::string_view request_uri, const std::vector<std::string>& lines) {
  std::string text = "REGISTER " + std::string(request_uri) + " SIP/2.0\r\n";
  text += "Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bKnashds7\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "To: <sip:alice@example.com>\r\n";
  text += "From: <sip:alice@example.com>;tag=456248\r\n";
  text += "Call-ID: 843817637684230@998sdasdh09\r\n";
  text += "CSeq: 1826 REGISTER\r\n";
  text += "Contact: <sip:alice@192.0.2.4>\r\n";
  for (const std::string& line : lines) text += line + "\r\n";
  text += "Content-Length: 0\r\n\r\n";
  return text;
}

sip::Message parse(const std::string& text) {
  auto message = sip::Message::parse(text);
  if (!message) {
    ADD_FAILURE() << message.error().reason;
    std::abort();  // every test message is meant to parse
  }
  return std::move(*message);
}

NonceService::Secret test_secret() {
  NonceService::Secret secret;
  secret.fill(42);
  return secret;
}

// --- The response computation, on the RFCs' own examples -----------------------------------

TEST(ResponseMatches, Rfc7616Sha256Example) {
  const auto ha1 = digest_ha1(DigestAlgorithm::sha256, "Mufasa", kRfc7616Realm, "Circle of Life");
  ASSERT_TRUE(ha1);
  DigestResponseInput input{DigestAlgorithm::sha256,
                            "GET",
                            "/dir/index.html",
                            kRfc7616Nonce,
                            "00000001",
                            kRfc7616Cnonce,
                            "auth",
                            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"};
  EXPECT_TRUE(response_matches(input, *ha1));
  // Hex digits compare case-insensitively.
  input.response = "753927FA0E85D155564E2E272A28D1802CA10DAF4496794697CF8DB5856CB6C1";
  EXPECT_TRUE(response_matches(input, *ha1));
  input.response = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c0";
  EXPECT_FALSE(response_matches(input, *ha1));
  input.response = "753927fa0e85d155564e2e272a28d180";  // a prefix
  EXPECT_FALSE(response_matches(input, *ha1));
  input.response = "";
  EXPECT_FALSE(response_matches(input, *ha1));
}

TEST(ResponseMatches, Rfc7616Md5Example) {
  const auto ha1 = digest_ha1(DigestAlgorithm::md5, "Mufasa", kRfc7616Realm, "Circle of Life");
  ASSERT_TRUE(ha1);
  DigestResponseInput input{DigestAlgorithm::md5,
                            "GET",
                            "/dir/index.html",
                            kRfc7616Nonce,
                            "00000001",
                            kRfc7616Cnonce,
                            "auth",
                            "8ca523f5e9506fed4657c9700eebdbec"};
  EXPECT_TRUE(response_matches(input, *ha1));
  // Every covered part matters.
  DigestResponseInput other_method = input;
  other_method.method = "POST";
  EXPECT_FALSE(response_matches(other_method, *ha1));
  DigestResponseInput other_nc = input;
  other_nc.nc = "00000002";
  EXPECT_FALSE(response_matches(other_nc, *ha1));
  DigestResponseInput other_cnonce = input;
  other_cnonce.cnonce = "x";
  EXPECT_FALSE(response_matches(other_cnonce, *ha1));
  DigestResponseInput other_uri = input;
  other_uri.uri = "/dir/index.htm";
  EXPECT_FALSE(response_matches(other_uri, *ha1));
}

TEST(ResponseMatches, Rfc2617Example) {
  const auto ha1 = digest_ha1(DigestAlgorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  ASSERT_TRUE(ha1);
  const DigestResponseInput input{DigestAlgorithm::md5,
                                  "GET",
                                  "/dir/index.html",
                                  "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                                  "00000001",
                                  "0a4f113b",
                                  "auth",
                                  "6629fae49393a05397450978507c4ef1"};
  EXPECT_TRUE(response_matches(input, *ha1));
  EXPECT_FALSE(response_matches(input, std::string(32, '0')));
}

TEST(ResponseMatches, UnknownAlgorithmNeverMatches) {
  const DigestResponseInput input{DigestAlgorithm::other, "GET", "/", "n", "00000001", "c", "auth", ""};
  EXPECT_FALSE(response_matches(input, ""));
}

// --- The authenticator ---------------------------------------------------------------------

class DigestAuthenticatorTest : public ::testing::Test {
 protected:
  DigestAuthenticatorTest() { alice = users.add_user("alice", std::string(kRealm), "wonderland"); }

  ClientCredentials client(std::int64_t issued_at = kNow) const {
    ClientCredentials credentials;
    credentials.nonce = nonces.issue(kRealm, issued_at);
    return credentials;
  }

  AuthResult verify_lines(const std::vector<std::string>& lines,
                          std::string_view request_uri = "sip:example.com", std::int64_t now = kNow,
                          HeaderId header = HeaderId::authorization) {
    const sip::Message request = parse(register_text(request_uri, lines));
    return authenticator.verify(request, header, kRealm, now);
  }
  AuthResult verify(const ClientCredentials& credentials, std::int64_t now = kNow) {
    return verify_lines({"Authorization: " + credentials.value()}, "sip:example.com", now);
  }

  FakeUserStore users;
  store::Account alice;
  NonceService nonces{test_secret()};
  NonceCounts counts;
  DigestAuthenticator authenticator{users, nonces, counts};
};

TEST_F(DigestAuthenticatorTest, ChallengesOfferSha256ThenMd5WithOneNonce) {
  const std::vector<std::string> values = authenticator.challenges(kRealm, kNow, false);
  ASSERT_EQ(values.size(), 2U);
  const auto sha256 = sip::parse_challenge(values[0]);
  const auto md5 = sip::parse_challenge(values[1]);
  ASSERT_TRUE(sha256) << values[0];
  ASSERT_TRUE(md5) << values[1];
  EXPECT_TRUE(sha256->is_digest());
  EXPECT_EQ(sha256->algorithm(), DigestAlgorithm::sha256);
  EXPECT_EQ(md5->algorithm(), DigestAlgorithm::md5);
  for (const auto* challenge : {&*sha256, &*md5}) {
    EXPECT_EQ(challenge->realm(), kRealm);
    EXPECT_TRUE(challenge->has_qop("auth"));
    EXPECT_FALSE(challenge->has_qop("auth-int"));
    EXPECT_FALSE(challenge->get("stale").has_value());
    ASSERT_TRUE(challenge->nonce());
    EXPECT_EQ(nonces.check(*challenge->nonce(), kRealm, kNow), NonceState::valid);
  }
  EXPECT_EQ(sha256->nonce(), md5->nonce());
  EXPECT_EQ(values[0].substr(0, values[0].find(", nonce=")), "Digest realm=\"example.com\"");
  EXPECT_NE(values[0].find("algorithm=SHA-256, qop=\"auth\""), std::string::npos) << values[0];
}

// libre (baresip) gives up on a 401/407 with any non-MD5 challenge in it, even beside MD5.
TEST_F(DigestAuthenticatorTest, Md5OnlyClientsGetTheMd5ChallengeAlone) {
  const DigestAuthenticator narrowing{users, nonces, counts, DigestAuthenticator::default_algorithms(),
                                      Md5OnlyClients(Md5OnlyClients::default_prefixes())};
  const sip::Message baresip =
      parse(register_text("sip:example.com", {"User-Agent: baresip v3.10.1 (x86_64/linux)"}));
  const std::vector<std::string> values = narrowing.challenges(kRealm, kNow, true, "192.0.2.4", &baresip);
  ASSERT_EQ(values.size(), 1U);
  const auto md5 = sip::parse_challenge(values[0]);
  ASSERT_TRUE(md5) << values[0];
  // Nothing but the algorithm differs: same realm, qop, stale, and a nonce bound to the client.
  EXPECT_EQ(md5->algorithm(), DigestAlgorithm::md5);
  EXPECT_EQ(md5->realm(), kRealm);
  EXPECT_TRUE(md5->has_qop("auth"));
  EXPECT_TRUE(md5->stale());
  ASSERT_TRUE(md5->nonce());
  EXPECT_EQ(nonces.check(*md5->nonce(), std::string(kRealm) + "\n192.0.2.4", kNow), NonceState::valid);
  EXPECT_EQ(nonces.check(*md5->nonce(), kRealm, kNow), NonceState::forged);

  // Every other client still gets both, SHA-256 first.
  const sip::Message linphone = parse(register_text("sip:example.com", {"User-Agent: Linphone/5.2.0"}));
  EXPECT_EQ(narrowing.challenges(kRealm, kNow, false, "192.0.2.4", &linphone).size(), 2U);
  const sip::Message anonymous = parse(register_text("sip:example.com", {}));
  EXPECT_EQ(narrowing.challenges(kRealm, kNow, false, "192.0.2.4", &anonymous).size(), 2U);
}

// The User-Agent is the sender's claim: it may narrow the offer to MD5, never add MD5 where the
// operator removed it.
TEST_F(DigestAuthenticatorTest, Md5OnlyClientsGetNoMd5WhenMd5IsNotConfigured) {
  const DigestAuthenticator sha256_only{
      users, nonces, counts, {DigestAlgorithm::sha256}, Md5OnlyClients(Md5OnlyClients::default_prefixes())};
  const sip::Message baresip = parse(register_text("sip:example.com", {"User-Agent: baresip v3.10.1"}));
  const std::vector<std::string> values = sha256_only.challenges(kRealm, kNow, false, {}, &baresip);
  ASSERT_EQ(values.size(), 1U);
  const auto challenge = sip::parse_challenge(values[0]);
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->algorithm(), DigestAlgorithm::sha256);
  // And credentials in MD5 stay refused, whoever claims to send them.
  ClientCredentials credentials = client();
  credentials.algorithm = DigestAlgorithm::md5;
  const sip::Message answer = parse(register_text(
      "sip:example.com", {"User-Agent: baresip v3.10.1", "Authorization: " + credentials.value()}));
  EXPECT_EQ(sha256_only.verify(answer, HeaderId::authorization, kRealm, kNow).verdict,
            AuthVerdict::challenge);
}

// An MD5-only client that answers with SHA-256 anyway is still checked like anyone else.
TEST_F(DigestAuthenticatorTest, Md5OnlyClientsAreVerifiedLikeEveryone) {
  const DigestAuthenticator narrowing{users, nonces, counts, DigestAuthenticator::default_algorithms(),
                                      Md5OnlyClients(Md5OnlyClients::default_prefixes())};
  ClientCredentials md5 = client();
  md5.algorithm = DigestAlgorithm::md5;
  const sip::Message good = parse(
      register_text("sip:example.com", {"User-Agent: baresip v3.10.1", "Authorization: " + md5.value()}));
  EXPECT_EQ(narrowing.verify(good, HeaderId::authorization, kRealm, kNow).verdict,
            AuthVerdict::authenticated);
  ClientCredentials wrong = client();
  wrong.algorithm = DigestAlgorithm::md5;
  wrong.password = "guess";
  const sip::Message bad = parse(
      register_text("sip:example.com", {"User-Agent: baresip v3.10.1", "Authorization: " + wrong.value()}));
  EXPECT_EQ(narrowing.verify(bad, HeaderId::authorization, kRealm, kNow).verdict, AuthVerdict::failed);
}

TEST_F(DigestAuthenticatorTest, StaleChallengesSayStale) {
  const std::vector<std::string> values = authenticator.challenges(kRealm, kNow, true);
  ASSERT_EQ(values.size(), 2U);
  for (const std::string& value : values) {
    const auto challenge = sip::parse_challenge(value);
    ASSERT_TRUE(challenge) << value;
    EXPECT_TRUE(challenge->stale());
    EXPECT_EQ(challenge->get("stale"), "true");
  }
}

TEST_F(DigestAuthenticatorTest, EachChallengeHasAFreshNonce) {
  // The parsed challenges view into the header values, which must outlive them.
  const std::vector<std::string> first_values = authenticator.challenges(kRealm, kNow, false);
  const std::vector<std::string> second_values = authenticator.challenges(kRealm, kNow, false);
  const auto first = sip::parse_challenge(first_values[0]);
  const auto second = sip::parse_challenge(second_values[0]);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->nonce(), second->nonce());
}

TEST_F(DigestAuthenticatorTest, ChallengeRealmIsQuotedSafely) {
  const std::vector<std::string> values = authenticator.challenges("a\"b", kNow, false);
  const auto challenge = sip::parse_challenge(values[0]);
  ASSERT_TRUE(challenge) << values[0];
  EXPECT_EQ(challenge->realm(), "a\"b");
}

TEST_F(DigestAuthenticatorTest, CorrectSha256ResponseAuthenticates) {
  const AuthResult result = verify(client());
  EXPECT_EQ(result.verdict, AuthVerdict::authenticated) << result.reason;
  ASSERT_TRUE(result.account);
  EXPECT_EQ(result.account->aor, "sip:alice@example.com");
  EXPECT_EQ(result.user, "alice");
  EXPECT_FALSE(result.stale);
}

TEST_F(DigestAuthenticatorTest, CorrectMd5ResponseAuthenticates) {
  ClientCredentials credentials = client();
  credentials.algorithm = DigestAlgorithm::md5;
  const AuthResult result = verify(credentials);
  EXPECT_EQ(result.verdict, AuthVerdict::authenticated) << result.reason;
}

TEST_F(DigestAuthenticatorTest, AbsentAlgorithmMeansMd5) {
  // RFC 7616 §3.3: no algorithm parameter is MD5.
  ClientCredentials credentials = client();
  credentials.algorithm = DigestAlgorithm::md5;
  credentials.omit = {"algorithm"};
  EXPECT_EQ(verify(credentials).verdict, AuthVerdict::authenticated);
}

TEST_F(DigestAuthenticatorTest, Rfc7616AccountThroughVerify) {
  // The RFC's user, password, realm and cnonce on a REGISTER with one of our nonces, for both
  // algorithms the RFC example shows.
  users.add_user("Mufasa", std::string(kRfc7616Realm), "Circle of Life");
  for (DigestAlgorithm algorithm : {DigestAlgorithm::sha256, DigestAlgorithm::md5}) {
    SCOPED_TRACE(std::string(sip::to_string(algorithm)));
    ClientCredentials credentials;
    credentials.user = "Mufasa";
    credentials.realm = std::string(kRfc7616Realm);
    credentials.password = "Circle of Life";
    credentials.cnonce = std::string(kRfc7616Cnonce);
    credentials.algorithm = algorithm;
    credentials.uri = "sip:example.org";
    credentials.nonce = nonces.issue(kRfc7616Realm, kNow);
    const sip::Message request =
        parse(register_text("sip:example.org", {"Authorization: " + credentials.value()}));
    const AuthResult result = authenticator.verify(request, HeaderId::authorization, kRfc7616Realm, kNow);
    EXPECT_EQ(result.verdict, AuthVerdict::authenticated) << result.reason;
    ASSERT_TRUE(result.account);
    EXPECT_EQ(result.account->user, "Mufasa");
  }
}

TEST_F(DigestAuthenticatorTest, NoCredentialsIsAChallenge) {
  const AuthResult result = verify_lines({});
  EXPECT_EQ(result.verdict, AuthVerdict::challenge);
  EXPECT_EQ(result.reason, "no credentials");
  EXPECT_FALSE(result.stale);
  EXPECT_EQ(users.finds, 0);
}

TEST_F(DigestAuthenticatorTest, CredentialsForAnotherRealmOrSchemeAreAChallenge) {
  ClientCredentials elsewhere = client();
  elsewhere.realm = "example.org";
  EXPECT_EQ(verify(elsewhere).verdict, AuthVerdict::challenge);
  EXPECT_EQ(verify_lines({"Authorization: Bearer mF_9.B5f-4.1JqM"}).verdict, AuthVerdict::challenge);
}

TEST_F(DigestAuthenticatorTest, PicksOurRealmAmongSeveralLines) {
  ClientCredentials elsewhere = client();
  elsewhere.realm = "example.org";
  const AuthResult result =
      verify_lines({"Authorization: " + elsewhere.value(), "Authorization: " + client().value()});
  EXPECT_EQ(result.verdict, AuthVerdict::authenticated) << result.reason;
}

TEST_F(DigestAuthenticatorTest, ReadsOnlyTheHeaderAskedFor) {
  const std::string value = client().value();
  EXPECT_EQ(verify_lines({"Proxy-Authorization: " + value}, "sip:example.com", kNow, HeaderId::authorization)
                .verdict,
            AuthVerdict::challenge);
  EXPECT_EQ(
      verify_lines({"Proxy-Authorization: " + value}, "sip:example.com", kNow, HeaderId::proxy_authorization)
          .verdict,
      AuthVerdict::authenticated);
}

TEST_F(DigestAuthenticatorTest, MalformedLineIsMalformed) {
  EXPECT_EQ(verify_lines({"Authorization: Digest username=alice"}).verdict, AuthVerdict::malformed);
  EXPECT_EQ(verify_lines({"Authorization: Digest"}).verdict, AuthVerdict::malformed);
  // Even next to a good line: the request is broken.
  const AuthResult result =
      verify_lines({"Authorization: " + client().value(), "Authorization: Digest realm=\"x"});
  EXPECT_EQ(result.verdict, AuthVerdict::malformed);
  EXPECT_EQ(result.reason, "malformed credentials");
}

TEST_F(DigestAuthenticatorTest, MissingRequiredParameterIsMalformed) {
  for (const char* name : {"username", "nonce", "uri", "response", "cnonce", "nc"}) {
    SCOPED_TRACE(name);
    ClientCredentials credentials = client();
    credentials.omit = {name};
    const AuthResult result = verify(credentials);
    EXPECT_EQ(result.verdict, AuthVerdict::malformed);
    EXPECT_EQ(result.reason, "incomplete credentials");
  }
}

TEST_F(DigestAuthenticatorTest, ForgedNonceIsAChallenge) {
  ClientCredentials credentials = client();
  credentials.nonce = std::string(kRfc7616Nonce);
  const AuthResult result = verify(credentials);
  EXPECT_EQ(result.verdict, AuthVerdict::challenge);
  EXPECT_FALSE(result.stale);
  EXPECT_EQ(result.reason, "forged nonce");
  EXPECT_EQ(result.user, "alice");
}

TEST_F(DigestAuthenticatorTest, NonceOfAnotherRealmIsAChallenge) {
  ClientCredentials credentials = client();
  credentials.nonce = nonces.issue("example.org", kNow);
  EXPECT_EQ(verify(credentials).verdict, AuthVerdict::challenge);
}

TEST_F(DigestAuthenticatorTest, NonceFromBeforeARestartIsAChallenge) {
  const NonceService previous(NonceService::random_secret());
  ClientCredentials credentials = client();
  credentials.nonce = previous.issue(kRealm, kNow);
  EXPECT_EQ(verify(credentials).verdict, AuthVerdict::challenge);
}

TEST_F(DigestAuthenticatorTest, AlgorithmsNotOfferedAreAChallenge) {
  for (DigestAlgorithm algorithm : {DigestAlgorithm::md5_sess, DigestAlgorithm::sha256_sess,
                                    DigestAlgorithm::sha512_256, DigestAlgorithm::other}) {
    SCOPED_TRACE(std::string(sip::to_string(algorithm)));
    ClientCredentials credentials = client();
    credentials.algorithm = algorithm;
    const AuthResult result = verify(credentials);
    EXPECT_EQ(result.verdict, AuthVerdict::challenge);
    EXPECT_EQ(result.reason, "algorithm not offered");
  }
}

TEST_F(DigestAuthenticatorTest, QopOtherThanAuthIsAChallenge) {
  ClientCredentials without = client();
  without.omit = {"qop", "nc", "cnonce"};  // RFC 2069 style
  EXPECT_EQ(verify(without).verdict, AuthVerdict::challenge);
  ClientCredentials integrity = client();
  integrity.qop = "auth-int";
  const AuthResult result = verify(integrity);
  EXPECT_EQ(result.verdict, AuthVerdict::challenge);
  EXPECT_EQ(result.reason, "qop is not auth");
}

TEST_F(DigestAuthenticatorTest, UserhashAndUsernameStarAreAChallenge) {
  ClientCredentials hashed = client();
  hashed.extra = {{"userhash", "true"}};
  EXPECT_EQ(verify(hashed).verdict, AuthVerdict::challenge);
  // userhash=false is the plain form.
  ClientCredentials plain = client();
  plain.extra = {{"userhash", "false"}};
  EXPECT_EQ(verify(plain).verdict, AuthVerdict::authenticated);

  ClientCredentials extended = client();
  extended.omit = {"username"};
  extended.extra = {{"username*", "UTF-8''alice"}};
  const AuthResult result = verify(extended);
  EXPECT_EQ(result.verdict, AuthVerdict::challenge);
  EXPECT_EQ(result.reason, "username* not supported");
}

TEST_F(DigestAuthenticatorTest, ParameterNamesAreCaseInsensitive) {
  // RFC 7235 §2.1: auth-param names match case-insensitively; verify() reads them in one pass
  // that must not care how a client spells them.
  const ClientCredentials credentials = client();
  std::string value = credentials.value();
  for (std::string_view name :
       {"username=", "nonce=", "uri=", "response=", "algorithm=", "qop=", "nc=", "cnonce="}) {
    const std::size_t at = value.find(name);
    ASSERT_NE(at, std::string::npos) << name;
    for (std::size_t i = at; i < at + name.size() - 1; ++i)
      value[i] = static_cast<char>(std::toupper(value[i]));
  }
  ASSERT_NE(value.find("USERNAME="), std::string::npos);
  const AuthResult result = verify_lines({"Authorization: " + value});
  EXPECT_EQ(result.verdict, AuthVerdict::authenticated) << result.reason;
  // The same with userhash spelled in capitals is still refused, not skipped.
  ClientCredentials hashed = client();
  hashed.extra = {{"USERHASH", "TRUE"}};
  EXPECT_EQ(verify(hashed).verdict, AuthVerdict::challenge);
}

TEST_F(DigestAuthenticatorTest, WrongPasswordFails) {
  ClientCredentials credentials = client();
  credentials.password = "looking-glass";
  const AuthResult result = verify(credentials);
  EXPECT_EQ(result.verdict, AuthVerdict::failed);
  EXPECT_EQ(result.reason, "wrong response");
  EXPECT_EQ(result.user, "alice");
  EXPECT_FALSE(result.account);
}

TEST_F(DigestAuthenticatorTest, UnknownUserFails) {
  ClientCredentials credentials = client();
  credentials.user = "mallory";
  const AuthResult result = verify(credentials);
  EXPECT_EQ(result.verdict, AuthVerdict::failed);
  EXPECT_EQ(result.reason, "unknown user");
  EXPECT_EQ(result.user, "mallory");
}

TEST_F(DigestAuthenticatorTest, UnknownUserAndWrongPasswordLookAlike) {
  ClientCredentials unknown = client();
  unknown.user = "mallory";
  ClientCredentials wrong = client();
  wrong.password = "looking-glass";
  const AuthResult a = verify(unknown);
  const AuthResult b = verify(wrong);
  // What a caller can turn into an answer is identical; only the log reason differs.
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.stale, b.stale);
  EXPECT_EQ(a.account.has_value(), b.account.has_value());
  EXPECT_EQ(users.finds, 2);
}

TEST_F(DigestAuthenticatorTest, UnknownUserNeverAuthenticatesAgainstTheStandIn) {
  // A response computed from the all-zero stand-in HA1 must not let an unknown user in.
  ClientCredentials credentials = client();
  credentials.user = "mallory";
  const std::string zero(64, '0');
  const std::string response =
      hex(DigestAlgorithm::sha256, {zero, credentials.nonce, "00000001", "0a4f113b", "auth",
                                    hex(DigestAlgorithm::sha256, {"REGISTER", "sip:example.com"})});
  const std::string value = "Digest username=\"mallory\", realm=\"example.com\", nonce=\"" +
                            credentials.nonce + "\", uri=\"sip:example.com\", response=\"" + response +
                            "\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"0a4f113b\"";
  EXPECT_EQ(verify_lines({"Authorization: " + value}).verdict, AuthVerdict::failed);
}

TEST_F(DigestAuthenticatorTest, UserNameIsCaseSensitive) {
  ClientCredentials upper = client();
  upper.user = "Alice";
  EXPECT_EQ(verify(upper).verdict, AuthVerdict::failed);
}

TEST_F(DigestAuthenticatorTest, ResponseForAnotherMethodFails) {
  ClientCredentials credentials = client();
  credentials.method = "INVITE";
  EXPECT_EQ(verify(credentials).verdict, AuthVerdict::failed);
}

TEST_F(DigestAuthenticatorTest, AnotherSipUriIsToleratedAsSippWritesIt) {
  // SIPp hashes sip:<server>:<port> whatever the Request-URI; the response binds that uri.
  ClientCredentials credentials = client();
  credentials.uri = "sip:192.0.2.10:5060";
  const AuthResult result = verify_lines({"Authorization: " + credentials.value()}, "sip:example.com");
  EXPECT_EQ(result.verdict, AuthVerdict::authenticated) << result.reason;
}

TEST_F(DigestAuthenticatorTest, UriThatIsNotSipFails) {
  ClientCredentials credentials = client();
  credentials.uri = "http://example.com/";
  const AuthResult result = verify_lines({"Authorization: " + credentials.value()}, "sip:example.com");
  EXPECT_EQ(result.verdict, AuthVerdict::failed);
  EXPECT_EQ(result.reason, "uri is not a SIP URI");
}

TEST_F(DigestAuthenticatorTest, UriComparesAsAUri) {
  // RFC 3261 §19.1.4: the host is case-insensitive; the client hashed the uri as it wrote it.
  ClientCredentials credentials = client();
  credentials.uri = "sip:EXAMPLE.com;transport=udp";
  const AuthResult result =
      verify_lines({"Authorization: " + credentials.value()}, "sip:example.com;transport=UDP");
  EXPECT_EQ(result.verdict, AuthVerdict::authenticated) << result.reason;
}

TEST_F(DigestAuthenticatorTest, UnparsableUriComparesByteForByte) {
  ClientCredentials credentials = client();
  credentials.uri = "/not a uri";
  EXPECT_EQ(verify(credentials).verdict, AuthVerdict::failed);
}

TEST_F(DigestAuthenticatorTest, StaleNonceWithTheRightPasswordIsAStaleChallenge) {
  const ClientCredentials credentials = client(kNow - 1000);
  const AuthResult result = verify(credentials);
  EXPECT_EQ(result.verdict, AuthVerdict::challenge);
  EXPECT_TRUE(result.stale);
  EXPECT_EQ(result.reason, "stale nonce");
  EXPECT_FALSE(result.account);
}

TEST_F(DigestAuthenticatorTest, StaleNonceWithTheWrongPasswordFails) {
  ClientCredentials credentials = client(kNow - 1000);
  credentials.password = "looking-glass";
  const AuthResult result = verify(credentials);
  EXPECT_EQ(result.verdict, AuthVerdict::failed);
  EXPECT_FALSE(result.stale);
}

TEST_F(DigestAuthenticatorTest, ReplayedNcIsAStaleChallenge) {
  const ClientCredentials credentials = client();
  ASSERT_EQ(verify(credentials).verdict, AuthVerdict::authenticated);
  const AuthResult replayed = verify(credentials, kNow + 1);
  EXPECT_EQ(replayed.verdict, AuthVerdict::challenge);
  EXPECT_TRUE(replayed.stale);
  EXPECT_EQ(replayed.reason, "replayed nc");
  // The honest client's next request, with the next count, goes through.
  ClientCredentials next = credentials;
  next.nc = "00000002";
  EXPECT_EQ(verify(next, kNow + 2).verdict, AuthVerdict::authenticated);
}

// RFC 7616 §5.4: a captured request replayed while its nonce is still valid must be refused,
// however long the configured lifetime: the counts are kept as long as the nonce is accepted.
TEST(DigestAuthenticatorLimits, ReplayAfterTheDefaultRetentionOfALongLifetimeIsRefused) {
  FakeUserStore users;
  users.add_user("alice", std::string(kRealm), "wonderland");
  const NonceService nonces(test_secret(), 600);
  NonceCounts counts(NonceCounts::retention_for(nonces));
  const DigestAuthenticator authenticator(users, nonces, counts);
  ClientCredentials credentials;
  credentials.nonce = nonces.issue(kRealm, kNow);
  const sip::Message request =
      parse(register_text("sip:example.com", {"Authorization: " + credentials.value()}));
  ASSERT_EQ(authenticator.verify(request, HeaderId::authorization, kRealm, kNow).verdict,
            AuthVerdict::authenticated);
  // Housekeeping runs as it does in the server; 400 s is past the old fixed 305 s.
  counts.expire(kNow + 400);
  const AuthResult replayed = authenticator.verify(request, HeaderId::authorization, kRealm, kNow + 400);
  EXPECT_EQ(replayed.verdict, AuthVerdict::challenge);
  EXPECT_EQ(replayed.reason, "replayed nc");
}

// Wired with counts kept for less than the nonces live (the default 305 s against a 600 s
// lifetime), the authenticator itself refuses nonces older than the counts can vouch for: a
// real check, in release builds too, not an assert.
TEST(DigestAuthenticatorLimits, CountsKeptTooBrieflyShortenTheNonceLifetime) {
  FakeUserStore users;
  users.add_user("alice", std::string(kRealm), "wonderland");
  const NonceService nonces(test_secret(), 600);
  NonceCounts counts;  // 305 s
  const DigestAuthenticator authenticator(users, nonces, counts);
  ClientCredentials credentials;
  credentials.nonce = nonces.issue(kRealm, kNow);
  const sip::Message request =
      parse(register_text("sip:example.com", {"Authorization: " + credentials.value()}));
  ASSERT_EQ(authenticator.verify(request, HeaderId::authorization, kRealm, kNow).verdict,
            AuthVerdict::authenticated);
  counts.expire(kNow + 400);
  const AuthResult replayed = authenticator.verify(request, HeaderId::authorization, kRealm, kNow + 400);
  EXPECT_EQ(replayed.verdict, AuthVerdict::challenge);
  EXPECT_TRUE(replayed.stale);
  EXPECT_EQ(replayed.reason, "stale nonce");
  // Within what the counts cover, the same nonce is still good for the next count.
  ClientCredentials next = credentials;
  next.nc = "00000002";
  const sip::Message later = parse(register_text("sip:example.com", {"Authorization: " + next.value()}));
  EXPECT_EQ(authenticator.verify(later, HeaderId::authorization, kRealm, kNow + 290).verdict,
            AuthVerdict::authenticated);
}

TEST(DigestAuthenticatorLimits, FullNonceTableIsAStaleChallenge) {
  FakeUserStore users;
  users.add_user("alice", std::string(kRealm), "wonderland");
  const NonceService nonces(test_secret());
  NonceCounts counts(nonces.validity_span_seconds(), 1);
  const DigestAuthenticator authenticator(users, nonces, counts);
  const auto verify_with = [&](const std::string& nonce) {
    ClientCredentials credentials;
    credentials.nonce = nonce;
    const sip::Message request =
        parse(register_text("sip:example.com", {"Authorization: " + credentials.value()}));
    return authenticator.verify(request, HeaderId::authorization, kRealm, kNow);
  };
  ASSERT_EQ(verify_with(nonces.issue(kRealm, kNow)).verdict, AuthVerdict::authenticated);
  const AuthResult result = verify_with(nonces.issue(kRealm, kNow));
  EXPECT_EQ(result.verdict, AuthVerdict::challenge);
  EXPECT_TRUE(result.stale);
  EXPECT_EQ(result.reason, "nonce table full");
}

TEST_F(DigestAuthenticatorTest, WrongResponsesDoNotUseUpCounts) {
  ClientCredentials guess = client();
  guess.password = "guess";
  EXPECT_EQ(verify(guess).verdict, AuthVerdict::failed);
  EXPECT_EQ(counts.size(), 0U);
  ClientCredentials honest = guess;
  honest.password = "wonderland";
  EXPECT_EQ(verify(honest).verdict, AuthVerdict::authenticated);
}

TEST_F(DigestAuthenticatorTest, NonceReusedWithinItsLifetime) {
  // RFC 7616 §3.4: a client may reuse a nonce with increasing counts until it is stale.
  ClientCredentials credentials = client();
  for (int nc = 1; nc <= 5; ++nc) {
    credentials.nc = "0000000" + std::to_string(nc);
    EXPECT_EQ(verify(credentials, kNow + nc * 60).verdict, AuthVerdict::authenticated) << nc;
  }
  credentials.nc = "00000006";
  EXPECT_TRUE(verify(credentials, kNow + 301).stale);
}

}  // namespace
}  // namespace osprey::security

namespace osprey::security {
namespace {

// A nonce is bound to the address it was sent to: a datagram with a forged source cannot carry
// one issued to that source, so its wrong password is no failure of that source (no ban).
TEST_F(DigestAuthenticatorTest, ANonceAnswersOnlyFromTheAddressItWasSentTo) {
  const auto nonce_sent_to = [&](std::string_view client) {
    const std::string challenge = authenticator.challenges(kRealm, kNow, false, client).front();
    const auto parsed = sip::parse_challenge(challenge);
    EXPECT_TRUE(parsed && parsed->nonce());
    return parsed && parsed->nonce() ? std::string(*parsed->nonce()) : std::string();
  };
  const auto verify_from = [&](const ClientCredentials& credentials, std::string_view client) {
    const sip::Message request =
        parse(register_text("sip:example.com", {"Authorization: " + credentials.value()}));
    return authenticator.verify(request, HeaderId::authorization, kRealm, kNow, client);
  };
  ClientCredentials wrong;
  wrong.nonce = nonce_sent_to("198.51.100.7");
  wrong.password = "guess";
  EXPECT_EQ(verify_from(wrong, "198.51.100.7").verdict, AuthVerdict::failed);
  // The same datagram claiming another source: a fresh challenge, not a failure.
  EXPECT_EQ(verify_from(wrong, "203.0.113.9").verdict, AuthVerdict::challenge);
  ClientCredentials right;
  right.nonce = nonce_sent_to("198.51.100.7");
  EXPECT_EQ(verify_from(right, "198.51.100.7").verdict, AuthVerdict::authenticated);
  ClientCredentials moved;
  moved.nonce = nonce_sent_to("198.51.100.7");
  moved.cnonce = "moved";
  EXPECT_EQ(verify_from(moved, "198.51.100.8").verdict, AuthVerdict::challenge);
}

}  // namespace
}  // namespace osprey::security
