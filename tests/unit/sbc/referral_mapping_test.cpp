#include "sbc/referral_mapping.hpp"

#include <gtest/gtest.h>

#include <map>

#include "sip/referral_headers.hpp"
#include "sip/uri_header_fields.hpp"

namespace osprey::sbc {
namespace {

// The worked example of referral_mapping.hpp: Alice consulted Carol through osprey.
const DialogIds kA2{"a2@alice", "osp-a2", "alice-a2"};  // osprey <-> Alice, as osprey holds it
const DialogIds kC2{"c2-osp", "osp-c2", "carol-c2"};    // osprey <-> Carol, as osprey holds it

// A B2BUA's table: each dialog of osprey's and the one across the call from it.
DialogLookup table() {
  return [](const DialogIds& dialog) -> std::optional<DialogIds> {
    if (dialog == kA2) return kC2;
    if (dialog == kC2) return kA2;
    return std::nullopt;
  };
}

TransferTarget to_osprey(std::string uri = "sip:xfer-7f3a@sbc.example.net") {
  return [uri](const sip::Uri&) { return std::optional<std::string>{uri}; };
}

TEST(ReferralMapping, TagRuleOfRfc3891) {
  // The receiver of "Replaces: c;to-tag=L;from-tag=R" holds the dialog {c, local L, remote R}.
  auto parsed = sip::parse_replaces("a2@alice;to-tag=osp-a2;from-tag=alice-a2");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(dialog_named_by(*parsed), kA2);
  // Carol holds C2 with the tags the other way round.
  EXPECT_EQ(peer_view(kC2), (DialogIds{"c2-osp", "carol-c2", "osp-c2"}));
  EXPECT_EQ(format_replaces(peer_view(kC2), false), "c2-osp;to-tag=carol-c2;from-tag=osp-c2");
  EXPECT_EQ(format_replaces(kA2, true), "a2@alice;to-tag=osp-a2;from-tag=alice-a2;early-only");
}

TEST(ReferralMapping, ReplacesIsRewrittenToTheOtherSidesDialogForItsReceiver) {
  auto mapped = map_replaces("a2@alice;to-tag=osp-a2;from-tag=alice-a2", table());
  ASSERT_TRUE(mapped && *mapped);
  EXPECT_EQ(**mapped, "c2-osp;to-tag=carol-c2;from-tag=osp-c2");
  // From Carol's side: a Replaces naming C2 for osprey as its receiver maps to A2 for Alice.
  auto back = map_replaces("c2-osp;from-tag=carol-c2;to-tag=osp-c2", table());
  ASSERT_TRUE(back && *back);
  EXPECT_EQ(**back, "a2@alice;to-tag=alice-a2;from-tag=osp-a2");
}

TEST(ReferralMapping, TagsTheWrongWayRoundMatchNothing) {
  // Alice's tags written from her own point of view instead of the receiver's: no dialog.
  auto mapped = map_replaces("a2@alice;to-tag=alice-a2;from-tag=osp-a2", table());
  ASSERT_TRUE(mapped);
  EXPECT_FALSE(*mapped);
}

TEST(ReferralMapping, EarlyOnlyIsKeptOtherParametersDropped) {
  auto mapped =
      map_replaces("a2@alice;from-tag=alice-a2;x-internal=10.0.0.7;to-tag=osp-a2;early-only", table());
  ASSERT_TRUE(mapped && *mapped);
  EXPECT_EQ(**mapped, "c2-osp;to-tag=carol-c2;from-tag=osp-c2;early-only");
}

TEST(ReferralMapping, MalformedReplacesIsA400) {
  for (std::string_view bad : {"", "a2@alice;to-tag=osp-a2", "a2@alice;to-tag=x;to-tag=y;from-tag=z",
                               "a2@alice;to-tag=x;from-tag=y;early-only=1"}) {
    auto mapped = map_replaces(bad, table());
    ASSERT_FALSE(mapped) << bad;
    EXPECT_EQ(mapped.error().server_status, 400);
    EXPECT_EQ(mapped.error().reason.rfind("Malformed Replaces", 0), 0u) << mapped.error().reason;
  }
}

TEST(ReferralMapping, AttendedTransferReferTo) {
  // Alice's Refer-To, the Replaces %-escaped inside the URI (RFC 3891 §7.1), internal address.
  auto mapped = map_refer_to(
      "\"Carol\" "
      "<sip:carol@10.0.0.7:5070;transport=tcp?Replaces=a2%40alice%3Bto-tag%3Dosp-a2%3Bfrom-tag%3Dalice-a2>",
      table(), to_osprey());
  ASSERT_TRUE(mapped && *mapped) << (mapped ? "" : mapped.error().reason);
  EXPECT_EQ(**mapped,
            "<sip:xfer-7f3a@sbc.example.net?Replaces=c2-osp%3Bto-tag%3Dcarol-c2%3Bfrom-tag%3Dosp-c2>");
  EXPECT_EQ((*mapped)->find("10.0.0.7"), std::string::npos);
  EXPECT_EQ((*mapped)->find("a2@alice"), std::string::npos);
  EXPECT_EQ((*mapped)->find("Carol"), std::string::npos);
  // What the transferee reads back out of it is the mapped Replaces.
  auto reparsed = sip::parse_refer_to(**mapped);
  ASSERT_TRUE(reparsed);
  auto embedded = sip::uri_header(reparsed->uri, "Replaces");
  ASSERT_TRUE(embedded);
  auto replaces = sip::parse_replaces(*embedded);
  ASSERT_TRUE(replaces);
  EXPECT_EQ(dialog_named_by(*replaces), peer_view(kC2));
}

TEST(ReferralMapping, SecondHopReplacesIsAlreadyInTheFarEndsTerms) {
  // Bob's INVITE comes back to osprey with the Replaces of the mapped Refer-To: seen from
  // osprey, it names C2 with the tags swapped, i.e. C2 as Carol holds it.
  auto replaces = sip::parse_replaces("c2-osp;to-tag=carol-c2;from-tag=osp-c2");
  ASSERT_TRUE(replaces);
  EXPECT_EQ(peer_view(dialog_named_by(*replaces)), kC2);
  // Mapping it a second time would be wrong: osprey holds no dialog with those tags that way round.
  auto again = map_replaces("c2-osp;to-tag=carol-c2;from-tag=osp-c2", table());
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

TEST(ReferralMapping, CallIdsThatNeedEscapingSurviveTheRoundTrip) {
  // A Call-ID is word [ "@" word ] (RFC 3261 §25.1): '<', '>', '[', ']', ':' and '@' must be
  // %-escaped inside the URI, and come back out the same.
  const DialogIds across{"q<1>@[2001:db8::1]", "osp-q", "far.q!"};
  DialogLookup lookup = [&](const DialogIds& d) -> std::optional<DialogIds> {
    if (d == DialogIds{"abc@h", "osp-1", "a-1"}) return across;
    return std::nullopt;
  };
  auto mapped =
      map_refer_to("<sip:t@h?Replaces=abc%40h%3Bto-tag%3Dosp-1%3Bfrom-tag%3Da-1>", lookup, to_osprey());
  ASSERT_TRUE(mapped && *mapped);
  auto reparsed = sip::parse_refer_to(**mapped);
  ASSERT_TRUE(reparsed) << reparsed.error().reason;
  auto embedded = sip::uri_header(reparsed->uri, "Replaces");
  ASSERT_TRUE(embedded);
  EXPECT_EQ(*embedded, "q<1>@[2001:db8::1];to-tag=far.q!;from-tag=osp-q");
  auto replaces = sip::parse_replaces(*embedded);
  ASSERT_TRUE(replaces) << replaces.error().reason;
  EXPECT_EQ(dialog_named_by(*replaces), peer_view(across));
}

TEST(ReferralMapping, BlindTransferReferToGetsTheChosenTargetOnly) {
  std::string seen;
  TransferTarget target = [&](const sip::Uri& requested) {
    seen = std::string(requested.user);
    return std::optional<std::string>{"sip:xfer-1@sbc.example.net"};
  };
  auto mapped = map_refer_to("<sip:+15551234567@10.0.0.9;user=phone?Route=%3Csip:evil.example%3E>;x=1",
                             table(), target);
  ASSERT_TRUE(mapped && *mapped);
  EXPECT_EQ(**mapped, "<sip:xfer-1@sbc.example.net>");  // no Route, no parameters, no address
  EXPECT_EQ(seen, "+15551234567");                      // the target callback saw what was asked
}

TEST(ReferralMapping, UnknownDialogOrRefusedTargetIsNullopt) {
  auto unknown =
      map_refer_to("<sip:carol@10.0.0.7?Replaces=zz%3Bto-tag%3D1%3Bfrom-tag%3D2>", table(), to_osprey());
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  TransferTarget refuse = [](const sip::Uri&) { return std::optional<std::string>{}; };
  auto refused = map_refer_to("<sip:carol@10.0.0.7>", table(), refuse);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(*refused);
}

TEST(ReferralMapping, MalformedReferToOrEmbeddedReplacesIsA400) {
  auto bad_uri = map_refer_to("<sip:carol@>", table(), to_osprey());
  ASSERT_FALSE(bad_uri);
  EXPECT_EQ(bad_uri.error().server_status, 400);
  auto bad_embedded =
      map_refer_to("<sip:carol@h?Replaces=a2%40alice%3Bto-tag%3Dosp-a2>", table(), to_osprey());
  ASSERT_FALSE(bad_embedded);
  EXPECT_EQ(bad_embedded.error().reason.rfind("Malformed Replaces", 0), 0u);
}

}  // namespace
}  // namespace osprey::sbc
