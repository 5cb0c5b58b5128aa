#include "txn/transaction_key.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "txn/ack_builder.hpp"
#include "txn_messages.hpp"

namespace osprey::txn {
namespace {

// Replaces the first occurrence of `from` in `text` (the fixtures are fixed, so it exists).
std::string replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  auto at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) out.replace(at, from.size(), to);
  return out;
}

std::string cancel_for(std::string_view invite) {
  std::string cancel = replace(invite, "INVITE sip:", "CANCEL sip:");
  cancel = replace(cancel, "CSeq: 314159 INVITE", "CSeq: 314159 CANCEL");
  return cancel;
}

TEST(ServerKey, RetransmissionMatches) {
  sip::Message a = testing::parse(testing::kInvite);
  sip::Message b = testing::parse(testing::kInvite);
  EXPECT_FALSE(server_key(a).empty());
  EXPECT_EQ(server_key(a), server_key(b));
}

TEST(ServerKey, SameBranchDifferentSentByDiffers) {
  sip::Message a = testing::parse(testing::kInvite);
  sip::Message other_host = testing::parse(
      replace(testing::kInvite, "pc33.atlanta.example.com:5060;", "pc34.atlanta.example.com:5060;"));
  sip::Message other_port = testing::parse(
      replace(testing::kInvite, "pc33.atlanta.example.com:5060;", "pc33.atlanta.example.com:5070;"));
  EXPECT_NE(server_key(a), server_key(other_host));
  EXPECT_NE(server_key(a), server_key(other_port));
  // Host names compare case-insensitively (RFC 3261 §19.1.4).
  sip::Message upper = testing::parse(
      replace(testing::kInvite, "pc33.atlanta.example.com:5060;", "PC33.Atlanta.example.com:5060;"));
  EXPECT_EQ(server_key(a), server_key(upper));
}

TEST(ServerKey, DifferentBranchDiffers) {
  sip::Message a = testing::parse(testing::kInvite);
  sip::Message b = testing::parse(replace(testing::kInvite, "z9hG4bK776asdhds", "z9hG4bK776asdhdt"));
  EXPECT_NE(server_key(a), server_key(b));
}

TEST(ServerKey, AckForFailureMatchesTheInvite) {
  sip::Message invite = testing::parse(testing::kInvite);
  sip::Message ack = testing::parse(build_ack_for_failure(invite, testing::response_to(invite, 486)));
  EXPECT_EQ(server_key(ack), server_key(invite));
}

TEST(ServerKey, CancelHasItsOwnTransactionButFindsTheInvite) {
  sip::Message invite = testing::parse(testing::kInvite);
  sip::Message cancel = testing::parse(cancel_for(testing::kInvite));
  EXPECT_NE(server_key(cancel), server_key(invite));
  EXPECT_EQ(invite_key_for_cancel(cancel), server_key(invite));
  // A CANCEL with another branch cancels nothing here.
  sip::Message stray = testing::parse(replace(cancel_for(testing::kInvite), "z9hG4bK776asdhds", "z9hG4bKx"));
  EXPECT_NE(invite_key_for_cancel(stray), server_key(invite));
}

TEST(ServerKey, MethodIsPartOfTheKey) {
  sip::Message invite = testing::parse(testing::kInvite);
  std::string bye_text = replace(testing::kInvite, "INVITE sip:", "BYE sip:");
  sip::Message bye = testing::parse(replace(bye_text, "314159 INVITE", "314159 BYE"));
  EXPECT_NE(server_key(bye), server_key(invite));
}

// RFC 2543 peers: no magic cookie in the branch.
constexpr std::string_view kOldInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=776asdhds\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(ServerKey, Rfc2543Matching) {
  sip::Message invite = testing::parse(kOldInvite);
  EXPECT_EQ(server_key(invite), server_key(testing::parse(kOldInvite)));
  // The ACK carries the response's To tag: it still matches (the To tag is left out for INVITE).
  sip::Message ack = testing::parse(build_ack_for_failure(invite, testing::response_to(invite, 404, "t1")));
  EXPECT_EQ(ack.to()->tag(), "t1");
  EXPECT_EQ(server_key(ack), server_key(invite));
  // A CANCEL is its own transaction but finds the INVITE.
  sip::Message cancel = testing::parse(cancel_for(kOldInvite));
  EXPECT_NE(server_key(cancel), server_key(invite));
  EXPECT_EQ(invite_key_for_cancel(cancel), server_key(invite));
  // Each matched field counts.
  for (auto [from, to] : {std::pair<std::string_view, std::string_view>{"sip:bob@biloxi", "sip:rob@biloxi"},
                          {"tag=1928301774", "tag=1928301775"},
                          {"a84b4c76e66710@", "a84b4c76e66711@"},
                          {"314159 INVITE", "314160 INVITE"},
                          {"branch=776asdhds", "branch=776asdhdt"},
                          {"pc33.atlanta.example.com;", "pc34.atlanta.example.com;"}}) {
    EXPECT_NE(server_key(testing::parse(replace(kOldInvite, from, to))), server_key(invite)) << to;
  }
  // The 2543 and 3261 keys never collide.
  EXPECT_NE(server_key(invite), server_key(testing::parse(testing::kInvite)));
}

TEST(ServerKey, Rfc2543ToTagCountsForOtherMethods) {
  std::string bye = replace(replace(kOldInvite, "INVITE sip:", "BYE sip:"), "314159 INVITE", "314159 BYE");
  bye = replace(bye, "<sip:bob@biloxi.example.com>\r\n", "<sip:bob@biloxi.example.com>;tag=a\r\n");
  std::string other = replace(bye, ";tag=a\r\n", ";tag=b\r\n");
  EXPECT_NE(server_key(testing::parse(bye)), server_key(testing::parse(other)));
}

TEST(ClientKey, ResponseMatchesItsRequest) {
  sip::Message invite = testing::parse(testing::kInvite);
  EXPECT_FALSE(client_key(invite).empty());
  EXPECT_EQ(client_key(testing::response_to(invite, 180)), client_key(invite));
  EXPECT_EQ(client_key(testing::response_to(invite, 200)), client_key(invite));
}

TEST(ClientKey, CancelResponsesMatchTheCancelNotTheInvite) {
  sip::Message invite = testing::parse(testing::kInvite);
  sip::Message cancel = testing::parse(cancel_for(testing::kInvite));
  sip::Message cancel_ok = testing::response_to(cancel, 200);
  EXPECT_EQ(client_key(cancel_ok), client_key(cancel));
  EXPECT_NE(client_key(cancel_ok), client_key(invite));
}

TEST(ClientKey, BranchDecides) {
  sip::Message invite = testing::parse(testing::kInvite);
  sip::Message other = testing::parse(replace(testing::kInvite, "z9hG4bK776asdhds", "z9hG4bK776asdhdt"));
  EXPECT_NE(client_key(testing::response_to(other, 200)), client_key(invite));
}

TEST(Keys, MissingViaOrCSeqGivesNoKey) {
  sip::Message no_via = testing::parse(
      "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:c@d>;tag=1\r\n"
      "To: <sip:a@b>\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(server_key(no_via).empty());
  EXPECT_TRUE(client_key(no_via).empty());
  EXPECT_TRUE(invite_key_for_cancel(no_via).empty());
}

TEST(MergeKey, SameFromTagCallIdCSeqMerges) {
  sip::Message invite = testing::parse(testing::kInvite);
  // The same request forked back to us through another proxy: another branch, same merge key.
  sip::Message forked =
      testing::parse(replace(testing::kInvite, "pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds",
                             "proxy2.example.com;branch=z9hG4bKfork2"));
  ASSERT_TRUE(merge_key(invite));
  EXPECT_EQ(merge_key(invite), merge_key(forked));
  EXPECT_NE(server_key(invite), server_key(forked));
  // Another CSeq, Call-ID or From tag is another request.
  EXPECT_NE(merge_key(invite), merge_key(testing::parse(replace(testing::kInvite, "314159", "314160"))));
  EXPECT_NE(merge_key(invite), merge_key(testing::parse(replace(testing::kInvite, "a84b4c76", "b84b4c76"))));
  EXPECT_NE(merge_key(invite),
            merge_key(testing::parse(replace(testing::kInvite, "tag=1928301774", "tag=1928301775"))));
}

TEST(MergeKey, InDialogRequestsHaveNone) {
  std::string in_dialog = replace(testing::kInvite, "To: Bob <sip:bob@biloxi.example.com>",
                                  "To: Bob <sip:bob@biloxi.example.com>;tag=x");
  EXPECT_FALSE(merge_key(testing::parse(in_dialog)));
}

}  // namespace
}  // namespace osprey::txn
