// Defects the fuzzers found (fuzz/README.md), each pinned by a test.

#include <gtest/gtest.h>

#include <string>

#include "sip/message.hpp"
#include "sip/stream_framer.hpp"
#include "sip/uri.hpp"
#include "sip/validation.hpp"

namespace osprey::sip {
namespace {

TEST(FuzzRegression, RepeatedUriParameterIsRefused) {
  // RFC 3261 §19.1.1: a parameter name appears at most once, in any case.
  EXPECT_FALSE(parse_uri("sip:a@b.com;j=1;j=2"));
  EXPECT_FALSE(parse_uri("sip:a@b.com;lr;LR"));
  auto ok = parse_uri("sip:a@b.com;lr;transport=tcp");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(uri_equivalent(*ok, *ok));
}

TEST(FuzzRegression, OversizedHeaderSectionSameVerdictHoweverSplit) {
  std::string message =
      "OPTIONS sip:a@b.com SIP/2.0\r\nX-Pad: " + std::string(300, 'x') + "\r\nContent-Length: 1x\r\n\r\n";
  auto verdict = [&](std::size_t first_piece) {
    StreamFramer framer(FramerLimits{250});
    std::string reason;
    for (std::string_view piece :
         {std::string_view(message).substr(0, first_piece), std::string_view(message).substr(first_piece)}) {
      if (auto appended = framer.append(piece); !appended) return appended.error().reason;
      auto frame = framer.next();
      if (!frame) return frame.error().reason;
    }
    return std::string("no error");
  };
  EXPECT_EQ(verdict(message.size()), "Header section too large");
  EXPECT_EQ(verdict(240), "Header section too large");
}

TEST(FuzzRegression, EmptyViaLineIsMalformed) {
  EXPECT_FALSE(validate_header(HeaderId::via, ""));
  EXPECT_FALSE(validate_header(HeaderId::via, "  "));
  EXPECT_TRUE(validate_header(HeaderId::via, "SIP/2.0/UDP h.example.com;branch=z9hG4bK1"));
}

TEST(FuzzRegression, BareCrInAHeaderLineIsMalformed) {
  std::string text =
      "OPTIONS sip:a@b.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
      "Via:\r SIP/2.0/UDP g.example.com;branch=z9hG4bK2\r\nTo: <sip:a@b.com>\r\n"
      "From: <sip:c@d.com>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  auto m = Message::parse(text);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().reason, "Bare CR in header");
  EXPECT_EQ(m.error().server_status, 400);
}

TEST(FuzzRegression, PoppingARouteDropsEmptyElements) {
  auto m = Message::parse(
      std::string("OPTIONS sip:a@b.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK1\r\n"
                  "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>, \r\nTo: <sip:a@b.com>\r\n"
                  "From: <sip:c@d.com>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->remove_first_element(HeaderId::route), "<sip:p1.example.com;lr>");
  EXPECT_EQ(*m->first_value(HeaderId::route), "<sip:p2.example.com;lr>");
}

}  // namespace
}  // namespace osprey::sip
