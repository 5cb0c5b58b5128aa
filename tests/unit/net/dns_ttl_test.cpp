// TTLs read from a raw DNS message (RFC 1035 §4.1), which comes from the network: every
// malformed or truncated message is refused, never read past.
#include "net/dns_ttl.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace osprey::net {
namespace {

using Bytes = std::vector<unsigned char>;

void put16(Bytes& out, std::uint32_t value) {
  out.push_back(static_cast<unsigned char>(value >> 8));
  out.push_back(static_cast<unsigned char>(value));
}
void put32(Bytes& out, std::uint32_t value) {
  put16(out, value >> 16);
  put16(out, value & 0xFFFF);
}

// A response to "x.example" with `answers` records of the given TTLs and an SOA in the
// authority section with `soa_ttl` and MINIMUM `soa_minimum`.
Bytes message(const std::vector<std::uint32_t>& answers,
              std::optional<std::pair<std::uint32_t, std::uint32_t>> soa) {
  Bytes out;
  put16(out, 0x1234);
  put16(out, 0x8180);
  put16(out, 1);
  put16(out, static_cast<std::uint32_t>(answers.size()));
  put16(out, soa ? 1 : 0);
  put16(out, 0);
  for (const char* label : {"x", "example"}) {
    out.push_back(static_cast<unsigned char>(std::string_view(label).size()));
    for (const char* c = label; *c != '\0'; ++c) out.push_back(static_cast<unsigned char>(*c));
  }
  out.push_back(0);
  put16(out, 1);
  put16(out, 1);
  for (const std::uint32_t ttl : answers) {
    put16(out, 0xC00C);  // a pointer to the question's name
    put16(out, 1);
    put16(out, 1);
    put32(out, ttl);
    put16(out, 4);
    put32(out, 0xC0000201);
  }
  if (soa) {
    put16(out, 0xC00C);
    put16(out, 6);
    put16(out, 1);
    put32(out, soa->first);
    put16(out, 4 + 20);
    put16(out, 0xC00C);  // MNAME
    put16(out, 0xC00C);  // RNAME
    for (int i = 0; i < 4; ++i) put32(out, 1000);
    put32(out, soa->second);  // MINIMUM
  }
  return out;
}

TEST(DnsTtl, TheSmallestAnswerTtl) {
  const auto ttls = read_dns_ttls(message({300, 120, 600}, std::nullopt));
  ASSERT_TRUE(ttls);
  EXPECT_EQ(ttls->answer, 120u);
  EXPECT_FALSE(ttls->negative);
}

TEST(DnsTtl, NegativeTtlIsTheSmallerOfSoaTtlAndMinimum) {
  // RFC 2308 §5.
  auto ttls = read_dns_ttls(message({}, std::pair{600u, 60u}));
  ASSERT_TRUE(ttls);
  EXPECT_FALSE(ttls->answer);
  EXPECT_EQ(ttls->negative, 60u);
  ttls = read_dns_ttls(message({}, std::pair{30u, 3600u}));
  EXPECT_EQ(ttls->negative, 30u);
}

TEST(DnsTtl, ATtlWithTheTopBitSetIsZero) {
  // RFC 2181 §8.
  EXPECT_EQ(read_dns_ttls(message({0x80000001U, 50}, std::nullopt))->answer, 0u);
}

TEST(DnsTtl, EveryTruncationIsRefused) {
  const Bytes whole = message({300}, std::pair{600u, 60u});
  ASSERT_TRUE(read_dns_ttls(whole));
  for (std::size_t size = 0; size < whole.size(); ++size) {
    EXPECT_FALSE(read_dns_ttls(std::span(whole.data(), size))) << size;
  }
}

TEST(DnsTtl, CountsBeyondTheMessageAndReservedLabelsAreRefused) {
  Bytes more = message({300}, std::nullopt);
  more[7] = 9;  // nine answers claimed, one present
  EXPECT_FALSE(read_dns_ttls(more));
  Bytes reserved = message({300}, std::nullopt);
  reserved[12] = 0x80;  // label type 10 (RFC 6891 §5: reserved)
  EXPECT_FALSE(read_dns_ttls(reserved));
}

}  // namespace
}  // namespace osprey::net
