#include "security/digest_hash.hpp"

#include <string>

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

using sip::DigestAlgorithm;

// The response of RFC 7616 §3.4.1 for qop=auth: H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2),
// HA2 = H(method ":" uri). Computing it from an HA1 and comparing with a response an RFC
// publishes proves the HA1, which the RFCs do not print.
std::string response_for(DigestAlgorithm algorithm, const std::string& ha1, const std::string& nonce,
                         const std::string& cnonce) {
  const auto ha2 = digest_hex(algorithm, {"GET", "/dir/index.html"});
  EXPECT_TRUE(ha2) << ha2.error();
  const auto response = digest_hex(algorithm, {ha1, nonce, "00000001", cnonce, "auth", ha2.value_or("")});
  EXPECT_TRUE(response) << response.error();
  return response.value_or("");
}

// RFC 7616 §3.9.1: Mufasa / http-auth@example.org / "Circle of Life", GET /dir/index.html.
constexpr const char* kRfc7616Nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr const char* kRfc7616Cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

TEST(DigestHash, Rfc7616Examples) {
  struct Example {
    DigestAlgorithm algorithm;
    std::size_t hex_digits;
    const char* response;  // as published in §3.9.1
  };
  const Example examples[] = {
      {DigestAlgorithm::md5, 32, "8ca523f5e9506fed4657c9700eebdbec"},
      {DigestAlgorithm::sha256, 64, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
  };
  for (const Example& example : examples) {
    SCOPED_TRACE(std::string(sip::to_string(example.algorithm)));
    const auto ha1 = digest_ha1(example.algorithm, "Mufasa", "http-auth@example.org", "Circle of Life");
    ASSERT_TRUE(ha1) << ha1.error();
    EXPECT_EQ(ha1->size(), example.hex_digits);
    EXPECT_EQ(response_for(example.algorithm, *ha1, kRfc7616Nonce, kRfc7616Cnonce), example.response);
  }
}

// RFC 2617 §3.5: Mufasa / testrealm@host.com / "Circle Of Life" (capital O there), MD5, qop=auth.
TEST(DigestHash, Rfc2617Example) {
  const auto ha1 = digest_ha1(DigestAlgorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  ASSERT_TRUE(ha1) << ha1.error();
  EXPECT_EQ(response_for(DigestAlgorithm::md5, *ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "0a4f113b"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(DigestHash, HexIsLowercaseOfTheWholeHash) {
  // MD5("") and SHA-256("") (RFC 1321 §A.5, FIPS 180-2 known values).
  EXPECT_EQ(digest_hex(DigestAlgorithm::md5, {""}).value_or(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(digest_hex(DigestAlgorithm::sha256, {""}).value_or(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest_hex(DigestAlgorithm::sha512_256, {"a"}).value_or("").size(), 64U);
}

TEST(DigestHash, PartsAreJoinedByColons) {
  EXPECT_EQ(digest_hex(DigestAlgorithm::sha256, {"a", "b", "c"}),
            digest_hex(DigestAlgorithm::sha256, {"a:b:c"}));
  EXPECT_EQ(digest_hex(DigestAlgorithm::md5_sess, {"x"}), digest_hex(DigestAlgorithm::md5, {"x"}));
}

TEST(DigestHash, StackHexMatchesKnownValuesAcrossBlocks) {
  // Inputs longer than one block (64 bytes), fed in several parts: FIPS 180-2 §B.2 and RFC 1321
  // §A.5. The parts carry no ':' of their own, so the joined text is the known input.
  DigestHex hex;
  ASSERT_TRUE(digest_hex_into(DigestAlgorithm::sha256,
                              {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"}, hex));
  EXPECT_EQ(hex.view(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  ASSERT_TRUE(digest_hex_into(
      DigestAlgorithm::md5,
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890"}, hex));
  EXPECT_EQ(hex.view(), "57edf4a22be3c955ac49da2e2107b67a");
  // A response's shape: six parts, 196 bytes with SHA-256 hex HA1 and HA2, four blocks.
  const std::string ha(64, 'a');
  ASSERT_TRUE(digest_hex_into(DigestAlgorithm::sha256, {ha, "nonce", "00000001", "cnonce", "auth", ha}, hex));
  EXPECT_EQ(hex.view(),
            digest_hex(DigestAlgorithm::sha256, {ha + ":nonce:00000001:cnonce:auth:" + ha}).value());
  EXPECT_FALSE(digest_hex_into(DigestAlgorithm::other, {"x"}, hex));
}

TEST(DigestHash, UnknownAlgorithmIsAnError) {
  const auto hash = digest_hex(DigestAlgorithm::other, {"x"});
  ASSERT_FALSE(hash);
  EXPECT_EQ(hash.error(), "unsupported digest algorithm");
}

}  // namespace
}  // namespace osprey::security
