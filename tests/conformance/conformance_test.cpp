// RFC 4475 and RFC 5118 torture messages (tests/conformance/, see its README): every valid one
// parses and serializes back byte-identical; every invalid one gets the status the RFC names.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "sip/validation.hpp"

namespace osprey::sip {
namespace {

namespace fs = std::filesystem;

const fs::path kRoot = fs::path(OSPREY_SOURCE_DIR) / "tests" / "conformance";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Expectation {
  bool valid;
  int server_status;  // 0: processed normally (requests) or dropped (responses)
};

// The RFC's verdict for each message (manifest.tsv "parser" and "expected_behaviour" columns),
// for osprey acting as a proxy.
const std::map<std::string, Expectation>& expectations() {
  static const std::map<std::string, Expectation> kExpected{
      // RFC 4475 §3.1.1: valid messages.
      {"rfc4475/valid/wsinv.sip", {true, 0}},
      {"rfc4475/valid/intmeth.sip", {true, 0}},
      {"rfc4475/valid/esc01.sip", {true, 0}},
      {"rfc4475/valid/escnull.sip", {true, 0}},
      {"rfc4475/valid/esc02.sip", {true, 0}},
      {"rfc4475/valid/lwsdisp.sip", {true, 0}},
      {"rfc4475/valid/longreq.sip", {true, 0}},
      {"rfc4475/valid/dblreq.sip", {true, 0}},
      {"rfc4475/valid/semiuri.sip", {true, 0}},
      {"rfc4475/valid/transports.sip", {true, 0}},
      {"rfc4475/valid/mpart01.sip", {true, 0}},
      {"rfc4475/valid/unreason.sip", {true, 0}},
      {"rfc4475/valid/noreason.sip", {true, 0}},
      // §3.1.2: invalid messages.
      {"rfc4475/invalid/badinv01.sip", {false, 400}},
      {"rfc4475/invalid/clerr.sip", {false, 400}},
      {"rfc4475/invalid/ncl.sip", {false, 400}},
      {"rfc4475/invalid/scalar02.sip", {false, 400}},
      {"rfc4475/invalid/scalarlg.sip", {false, 0}},  // a response: dropped
      {"rfc4475/invalid/quotbal.sip", {false, 400}},
      {"rfc4475/invalid/ltgtruri.sip", {false, 400}},
      {"rfc4475/invalid/lwsruri.sip", {false, 400}},
      {"rfc4475/invalid/lwsstart.sip", {false, 400}},
      {"rfc4475/invalid/trws.sip", {false, 400}},
      {"rfc4475/invalid/escruri.sip", {false, 400}},
      {"rfc4475/invalid/baddate.sip", {false, 400}},
      {"rfc4475/invalid/regbadct.sip", {false, 400}},
      {"rfc4475/invalid/badaspec.sip", {false, 400}},
      {"rfc4475/invalid/baddn.sip", {false, 400}},
      {"rfc4475/invalid/badvers.sip", {false, 505}},
      {"rfc4475/invalid/mismatch01.sip", {false, 400}},
      {"rfc4475/invalid/mismatch02.sip", {false, 501}},
      {"rfc4475/invalid/bigcode.sip", {false, 0}},  // a response: dropped
      // §3.2 / §3.3: transaction and application layer.
      {"rfc4475/invalid/badbranch.sip", {false, 400}},
      {"rfc4475/invalid/insuf.sip", {false, 400}},
      {"rfc4475/valid/unkscm.sip", {true, 416}},
      {"rfc4475/valid/novelsc.sip", {true, 416}},
      {"rfc4475/valid/unksm2.sip", {true, 0}},
      {"rfc4475/valid/bext01.sip", {true, 420}},
      {"rfc4475/valid/invut.sip", {true, 0}},
      {"rfc4475/valid/regaut01.sip", {true, 0}},
      {"rfc4475/invalid/multi01.sip", {false, 400}},
      {"rfc4475/invalid/mcl01.sip", {false, 400}},
      {"rfc4475/valid/bcast.sip", {true, 0}},
      {"rfc4475/valid/zeromf.sip", {true, 483}},
      {"rfc4475/valid/cparam01.sip", {true, 0}},
      {"rfc4475/valid/cparam02.sip", {true, 0}},
      {"rfc4475/valid/regescrt.sip", {true, 0}},
      {"rfc4475/valid/sdp01.sip", {true, 0}},
      {"rfc4475/valid/inv2543.sip", {true, 0}},
      // RFC 5118.
      {"rfc5118/valid/ipv6-good.sip", {true, 0}},
      {"rfc5118/invalid/ipv6-bad.sip", {false, 400}},
      {"rfc5118/valid/port-ambiguous.sip", {true, 0}},
      {"rfc5118/valid/port-unambiguous.sip", {true, 0}},
      {"rfc5118/valid/via-received-param-with-delim.sip", {true, 0}},
      {"rfc5118/valid/via-received-param-no-delim.sip", {true, 0}},
      {"rfc5118/valid/ipv6-in-sdp.sip", {true, 0}},
      {"rfc5118/valid/mult-ip-in-header.sip", {true, 0}},
      {"rfc5118/valid/mult-ip-in-sdp.sip", {true, 0}},
      {"rfc5118/valid/ipv4-mapped-ipv6.sip", {true, 0}},
      {"rfc5118/valid/ipv6-bug-abnf-3-colons.sip", {true, 0}},
      {"rfc5118/valid/ipv6-correct-abnf-2-colons.sip", {true, 0}},
  };
  return kExpected;
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, MatchesTheRfc) {
  const std::string& name = GetParam();
  const Expectation& expected = expectations().at(name);
  std::string bytes = read_file(kRoot / name);
  ASSERT_FALSE(bytes.empty()) << name;
  Assessment a = assess(bytes);
  std::string why = a.error ? a.error->reason : (a.rejection ? a.rejection->reason : "");
  EXPECT_EQ(a.valid(), expected.valid) << name << ": " << why;
  EXPECT_EQ(a.server_status(), expected.server_status) << name << ": " << why;
  if (expected.valid) {
    ASSERT_TRUE(a.message) << name;
    // Serialized without edits, a message comes back byte-identical (the part of the
    // datagram that was the message: RFC 4475 §3.1.1.8 ignores dblreq's trailing bytes).
    EXPECT_EQ(a.message->serialize(), bytes.substr(0, a.message->wire_size())) << name;
    if (name != "rfc4475/valid/dblreq.sip") {
      EXPECT_EQ(a.message->wire_size(), bytes.size()) << name;
    }
  }
}

std::vector<std::string> all_messages() {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(kRoot)) {
    if (entry.path().extension() == ".sip") names.push_back(fs::relative(entry.path(), kRoot).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Rfc4475And5118, Conformance, ::testing::ValuesIn(all_messages()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string n = param_info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(ConformanceSuite, HasAll61Messages) {
  EXPECT_EQ(all_messages().size(), 61u);
  for (const std::string& name : all_messages()) EXPECT_EQ(expectations().count(name), 1u) << name;
}

}  // namespace
}  // namespace osprey::sip
