#include "sip/host.hpp"

#include <gtest/gtest.h>

namespace osprey::sip {
namespace {

TEST(CanonicalHost, FoldsEverySpellingOfOneHost) {
  EXPECT_EQ(canonical_host("Example.COM"), "example.com");
  EXPECT_EQ(canonical_host("example.com."), "example.com");
  EXPECT_EQ(canonical_host("LOCALHOST."), "localhost");
  EXPECT_EQ(canonical_host("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(canonical_host("127.0.0.01"), "127.0.0.1");
  EXPECT_EQ(canonical_host("127.000.000.001"), "127.0.0.1");
  EXPECT_EQ(canonical_host("010.0.0.8"), "10.0.0.8");  // decimal, never octal
  EXPECT_EQ(canonical_host("[::ffff:127.0.0.1]"), "127.0.0.1");
  EXPECT_EQ(canonical_host("[::FFFF:7f00:1]"), "127.0.0.1");
  EXPECT_EQ(canonical_host("[0:0:0:0:0:0:0:1]"), "[::1]");
  EXPECT_EQ(canonical_host("[2001:DB8:0:0::1]"), "[2001:db8::1]");
}

TEST(CanonicalHost, KeepsDifferentHostsApart) {
  EXPECT_NE(canonical_host("127.0.0.1"), canonical_host("127.0.0.10"));
  EXPECT_NE(canonical_host("example.com"), canonical_host("example.com.evil.net"));
  EXPECT_NE(canonical_host("[::1]"), canonical_host("127.0.0.1"));
  EXPECT_NE(canonical_host("[::127.0.0.1]"), canonical_host("127.0.0.1"));  // IPv4-compatible is not mapped
  // Not a host: lower-cased, so it only ever equals itself.
  EXPECT_EQ(canonical_host("BAD HOST"), "bad host");
  EXPECT_EQ(canonical_host(""), "");
}

TEST(WithoutBrackets, UnwrapsAnIpv6Reference) {
  EXPECT_EQ(without_brackets("[::1]"), "::1");
  EXPECT_EQ(without_brackets("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(without_brackets("[]"), "");
}

TEST(WithoutBrackets, LeavesEverythingElseAlone) {
  EXPECT_EQ(without_brackets("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(without_brackets("example.com"), "example.com");
  EXPECT_EQ(without_brackets("::1"), "::1");
  EXPECT_EQ(without_brackets(""), "");
  EXPECT_EQ(without_brackets("["), "[");
  EXPECT_EQ(without_brackets("]"), "]");
  // Half a reference is not cut into another address: "[::1" is not "::" (one caller once
  // dropped the last character whenever the first was '[').
  EXPECT_EQ(without_brackets("[::1"), "[::1");
  EXPECT_EQ(without_brackets("::1]"), "::1]");
  // One pair only.
  EXPECT_EQ(without_brackets("[[::1]]"), "[::1]");
}

}  // namespace
}  // namespace osprey::sip
