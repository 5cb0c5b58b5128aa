#include "sbc/diversion_conversion.hpp"

#include <gtest/gtest.h>

#include "identity_test_messages.hpp"

namespace osprey::sbc {
namespace {

using testing::inbound_invite;
using testing::on_the_wire;
using testing::outbound_invite;
using testing::values_of;

HostRewrite inside_hosts() {
  return HostRewrite{[](std::string_view host) { return host.starts_with("10.") || host == "pbx.internal"; },
                     "198.51.100.1"};
}

sip::Message written(IdentityPolicy::Diversion mode, std::string_view headers) {
  auto inbound = inbound_invite(headers);
  sip::Message outbound = outbound_invite();
  write_diversion_headers(mode, inbound, inbound.request_uri(), outbound, inside_hosts());
  return on_the_wire(outbound);
}

// RFC 7544 §4.2, the mapping table in diversion_conversion.hpp, both ways.
TEST(DiversionConversionTest, ReasonCauseMapping) {
  EXPECT_EQ(cause_for_diversion_reason("unconditional"), 302);
  EXPECT_EQ(cause_for_diversion_reason("user-busy"), 486);
  EXPECT_EQ(cause_for_diversion_reason("no-answer"), 408);
  EXPECT_EQ(cause_for_diversion_reason("deflection"), 480);
  EXPECT_EQ(cause_for_diversion_reason("unavailable"), 503);
  EXPECT_EQ(cause_for_diversion_reason("out-of-service"), 503);
  EXPECT_EQ(cause_for_diversion_reason("time-of-day"), 404);
  EXPECT_EQ(cause_for_diversion_reason("UNKNOWN"), 404);
  EXPECT_EQ(cause_for_diversion_reason("made-up"), 404);
  EXPECT_EQ(diversion_reason_for_cause(302), "unconditional");
  EXPECT_EQ(diversion_reason_for_cause(486), "user-busy");
  EXPECT_EQ(diversion_reason_for_cause(408), "no-answer");
  EXPECT_EQ(diversion_reason_for_cause(480), "deflection");
  EXPECT_EQ(diversion_reason_for_cause(487), "deflection");
  EXPECT_EQ(diversion_reason_for_cause(503), "unavailable");
  EXPECT_EQ(diversion_reason_for_cause(404), "unknown");
  EXPECT_EQ(diversion_reason_for_cause(600), "unknown");
}

// Worked example: +15550100 forwarded unconditionally to +15550200, which was busy and forwarded
// to +15550300 (the Request-URI now). Diversion lists the most recent first; History-Info lists
// the original target first, each later entry with the cause that sent the call there.
TEST(DiversionConversionTest, DiversionChainToHistoryInfo) {
  auto out = written(IdentityPolicy::Diversion::history_info,
                     "Diversion: <sip:+15550200@osprey.example.com>;reason=user-busy;counter=1,\r\n"
                     " <sip:+15550100@osprey.example.com>;reason=unconditional;counter=1\r\n");
  EXPECT_EQ(out.count(sip::HeaderId::diversion), 0u);
  EXPECT_EQ(values_of(out, "History-Info"),
            (std::vector<std::string>{
                "<sip:+15550100@osprey.example.com>;index=1",
                "<sip:+15550200@osprey.example.com;cause=302>;index=1.1;mp=1",
                "<sip:+15550100@osprey.example.com;cause=486>;index=1.1.1;mp=1.1",
            }));
}

// The reverse of the worked example: each entry followed by one with a cause was diverted.
TEST(DiversionConversionTest, HistoryInfoChainToDiversion) {
  auto out = written(IdentityPolicy::Diversion::diversion,
                     "History-Info: <sip:+15550100@osprey.example.com>;index=1,\r\n"
                     " <sip:+15550200@osprey.example.com;cause=302>;index=1.1;mp=1,\r\n"
                     " <sip:+15550300@osprey.example.com;cause=486>;index=1.1.1;mp=1.1\r\n");
  EXPECT_EQ(out.count(sip::HeaderId::history_info), 0u);
  EXPECT_EQ(values_of(out, "Diversion"),
            (std::vector<std::string>{
                "<sip:+15550200@osprey.example.com>;reason=user-busy;counter=1",
                "<sip:+15550100@osprey.example.com>;reason=unconditional;counter=1",
            }));
}

// RFC 7044 §9.1: without a cause parameter, the Reason in the entry retargeted from counts; an
// entry reached without either (a registrar lookup) is not a diversion. Privacy=history in the
// entry becomes privacy=full (RFC 5806 diversion-privacy).
TEST(DiversionConversionTest, HistoryInfoReasonAndPlainRetargeting) {
  auto out = written(
      IdentityPolicy::Diversion::diversion,
      "History-Info: <sip:bob@osprey.example.com?Reason=SIP%3Bcause%3D408&Privacy=history>;index=1,\r\n"
      " <sip:bob-mobile@osprey.example.com>;index=1.1;mp=1,\r\n"
      " <sip:bob@10.0.0.9>;index=1.1.1;rc=1.1\r\n");
  EXPECT_EQ(
      values_of(out, "Diversion"),
      (std::vector<std::string>{"<sip:bob@osprey.example.com>;reason=no-answer;counter=1;privacy=full"}));
}

// keep: each header stays itself, rebuilt: inside hosts become osprey's, URI parameters other
// than user and cause are dropped, unknown parameters are not carried.
TEST(DiversionConversionTest, KeepRebuildsAndHidesInsideHosts) {
  auto out =
      written(IdentityPolicy::Diversion::keep,
              "Diversion: \"Reception\" <sip:100@10.0.0.20:5070;transport=tcp>;reason=no-answer;counter=1;"
              "privacy=off;screen=no;x-inside=10.0.0.20\r\n"
              "History-Info: <sip:100@pbx.internal;maddr=10.1.1.1?Reason=SIP%3Bcause%3D480>;index=1,\r\n"
              " <sip:200@example.org;cause=480>;index=1.1;mp=1\r\n");
  EXPECT_EQ(values_of(out, "Diversion"),
            (std::vector<std::string>{
                "\"Reception\" <sip:100@198.51.100.1>;reason=no-answer;counter=1;privacy=off;screen=no"}));
  EXPECT_EQ(values_of(out, "History-Info"),
            (std::vector<std::string>{"<sip:100@198.51.100.1?Reason=SIP%3Bcause%3D480>;index=1",
                                      "<sip:200@example.org;cause=480>;index=1.1;mp=1"}));
  std::string wire = out.serialize();
  EXPECT_EQ(wire.find("10.0.0.20"), std::string::npos);
  EXPECT_EQ(wire.find("10.1.1.1"), std::string::npos);
  EXPECT_EQ(wire.find("pbx.internal"), std::string::npos);
}

// Converting needs a target: the current Request-URI with an inside host is hidden too.
TEST(DiversionConversionTest, CurrentTargetOnAnInsideHostIsHidden) {
  auto inbound = inbound_invite("Diversion: <sip:100@pbx.internal>;reason=deflection\r\n",
                                "<sip:a@example.org>;tag=1", "sip:300@10.0.0.30:5080");
  sip::Message outbound = outbound_invite();
  write_diversion_headers(IdentityPolicy::Diversion::history_info, inbound, inbound.request_uri(), outbound,
                          inside_hosts());
  EXPECT_EQ(values_of(on_the_wire(outbound), "History-Info"),
            (std::vector<std::string>{"<sip:100@198.51.100.1>;index=1",
                                      "<sip:300@198.51.100.1;cause=480>;index=1.1;mp=1"}));
}

// osprey's own address may be IPv6: written as an IPv6reference (RFC 3261 §25.1).
TEST(DiversionConversionTest, Ipv6OwnHostIsBracketed) {
  HostRewrite hosts{[](std::string_view host) { return host == "pbx.internal"; }, "2001:db8::1"};
  auto inbound = inbound_invite("Diversion: <sip:100@PBX.internal:5070>;reason=no-answer\r\n");
  sip::Message outbound = outbound_invite();
  write_diversion_headers(IdentityPolicy::Diversion::keep, inbound, inbound.request_uri(), outbound, hosts);
  EXPECT_EQ(values_of(on_the_wire(outbound), "Diversion"),
            std::vector<std::string>{"<sip:100@[2001:db8::1]>;reason=no-answer"});
}

// Without a predicate nothing is called internal.
TEST(DiversionConversionTest, NoPredicateKeepsHosts) {
  HostRewrite none;
  EXPECT_TRUE(none.replacement_for("10.0.0.1").empty());
}

// A malformed element drops its whole header: nothing of it passes unchecked.
TEST(DiversionConversionTest, MalformedHeadersAreDropped) {
  for (auto mode : {IdentityPolicy::Diversion::keep, IdentityPolicy::Diversion::history_info,
                    IdentityPolicy::Diversion::diversion}) {
    auto out =
        written(mode,
                "Diversion: <sip:ok@example.org>;reason=user-busy, <sip:broken@example.org;reason=x\r\n"
                "History-Info: <sip:a@example.org>;index=x.y\r\n");
    EXPECT_EQ(out.count(sip::HeaderId::diversion), 0u);
    EXPECT_EQ(out.count(sip::HeaderId::history_info), 0u);
  }
  // A parameter value that is not a token after unquoting is not copied.
  auto out = written(IdentityPolicy::Diversion::keep,
                     "Diversion: <sip:ok@example.org>;reason=\"user busy, Via: x\"\r\n");
  EXPECT_EQ(values_of(out, "Diversion"), std::vector<std::string>{"<sip:ok@example.org>"});
}

// A huge list is cut at kMaxDiversionEntries entries (plus the current target when converted).
TEST(DiversionConversionTest, HugeListsAreBounded) {
  // Lines of 20 elements each: one header line has a length limit of its own.
  std::string diversion;
  std::string history;
  for (int i = 0; i < 500; ++i) {
    bool first_of_line = i % 20 == 0;
    if (first_of_line && i > 0) {
      diversion += "\r\n";
      history += "\r\n";
    }
    diversion += first_of_line ? "Diversion: " : ",";
    history += first_of_line ? "History-Info: " : ",";
    diversion += "<sip:" + std::to_string(1000 + i) + "@example.org>;reason=no-answer";
    history += "<sip:" + std::to_string(1000 + i) + "@example.org;cause=408>;index=1";
  }
  auto keep = written(IdentityPolicy::Diversion::keep, diversion + "\r\n" + history + "\r\n");
  EXPECT_EQ(values_of(keep, "Diversion").size(), kMaxDiversionEntries);
  EXPECT_EQ(values_of(keep, "History-Info").size(), kMaxDiversionEntries + 1);
  auto to_history = written(IdentityPolicy::Diversion::history_info, diversion + "\r\n");
  EXPECT_EQ(values_of(to_history, "History-Info").size(), kMaxDiversionEntries + 1);
  auto to_diversion = written(IdentityPolicy::Diversion::diversion, history + "\r\n");
  EXPECT_EQ(values_of(to_diversion, "Diversion").size(), kMaxDiversionEntries);
}

// Existing History-Info wins over Diversion when History-Info is wanted (it is the richer
// record), and the other header is not sent.
TEST(DiversionConversionTest, BothPresentTheWantedOneWins) {
  auto out = written(IdentityPolicy::Diversion::history_info,
                     "Diversion: <sip:x@example.org>;reason=unconditional\r\n"
                     "History-Info: <sip:y@example.org>;index=1\r\n");
  EXPECT_EQ(values_of(out, "History-Info"), std::vector<std::string>{"<sip:y@example.org>;index=1"});
  EXPECT_EQ(out.count(sip::HeaderId::diversion), 0u);
}

}  // namespace
}  // namespace osprey::sbc
