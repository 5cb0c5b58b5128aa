#include "sip/event_headers.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"
#include "sip/message.hpp"

namespace osprey::sip {
namespace {

using test_files::parse_message;

std::string notify_with(std::string_view headers) {
  std::string text =
      "NOTIFY sip:alice@pc33.atlanta.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP server.example.com;branch=z9hG4bKnashds8\r\n"
      "Max-Forwards: 70\r\n"
      "To: <sip:alice@atlanta.com>;tag=1928301774\r\n"
      "From: <sip:bob@biloxi.com>;tag=a6c85cf\r\n"
      "Call-ID: a84b4c76e66710\r\n"
      "CSeq: 2 NOTIFY\r\n";
  text += headers;
  text += "Content-Length: 0\r\n\r\n";
  return text;
}

TEST(EventHeaders, EventTypes) {
  EXPECT_TRUE(is_event_type("presence"));
  EXPECT_TRUE(is_event_type("presence.winfo"));
  EXPECT_TRUE(is_event_type("a.b.c"));
  EXPECT_TRUE(is_event_type("x-custom_pkg!"));
  for (std::string_view bad :
       {"", ".presence", "presence.", "presence..winfo", "pres ence", "pres;ence", "."}) {
    EXPECT_FALSE(is_event_type(bad)) << bad;
  }
}

TEST(EventHeaders, Event) {
  auto plain = parse_event("presence");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->type, "presence");
  EXPECT_EQ(plain->package, "presence");
  EXPECT_FALSE(plain->has_id);
  auto templ = parse_event("presence.winfo ;\r\n id = 1234-ab ; other=\"x\"");
  ASSERT_TRUE(templ) << templ.error().reason;
  EXPECT_EQ(templ->type, "presence.winfo");
  EXPECT_EQ(templ->package, "presence");
  EXPECT_TRUE(templ->has_id);
  EXPECT_EQ(templ->id, "1234-ab");
  EXPECT_EQ(templ->params, ";\r\n id = 1234-ab ; other=\"x\"");
  // RFC 4235 dialog package parameters are generic-params.
  auto dialog = parse_event("dialog;call-id=\"abc@host\";from-tag=xyz;include-session-description");
  ASSERT_TRUE(dialog) << dialog.error().reason;
  EXPECT_EQ(dialog->type, "dialog");
  EXPECT_FALSE(dialog->has_id);
}

TEST(EventHeaders, MalformedEvent) {
  for (std::string_view bad :
       {"", ".presence", "presence.", "presence..x", "presence;id", "presence;id=", "presence;id=\"quoted\"",
        "presence;", "presence winfo", "presence;;id=1", "presence, dialog"}) {
    auto e = parse_event(bad, 5);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().header, "Event") << bad;
    EXPECT_GE(e.error().offset, 5u) << bad;
  }
}

TEST(EventHeaders, SubscriptionState) {
  auto active = parse_subscription_state("active;expires=60");
  ASSERT_TRUE(active);
  EXPECT_EQ(active->status, SubscriptionStatus::active);
  EXPECT_EQ(active->expires, 60u);
  EXPECT_FALSE(active->retry_after);
  EXPECT_TRUE(active->reason.empty());
  auto terminated = parse_subscription_state("terminated; reason=rejected;\r\n retry-after=3600");
  ASSERT_TRUE(terminated) << terminated.error().reason;
  EXPECT_EQ(terminated->status, SubscriptionStatus::terminated);
  EXPECT_EQ(terminated->reason, "rejected");
  EXPECT_EQ(terminated->retry_after, 3600u);
  auto pending = parse_subscription_state("Pending");
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->status, SubscriptionStatus::pending);
  EXPECT_EQ(pending->value, "Pending");
  auto extension = parse_subscription_state("waiting;foo=bar");
  ASSERT_TRUE(extension);
  EXPECT_EQ(extension->status, SubscriptionStatus::extension);
  EXPECT_EQ(extension->value, "waiting");
  EXPECT_EQ(extension->params, ";foo=bar");
}

TEST(EventHeaders, MalformedSubscriptionState) {
  for (std::string_view bad : {"", ";expires=60", "active;expires=abc", "active;expires=", "active;expires",
                               "active;expires=4294967296", "terminated;reason", "terminated;reason=\"x\"",
                               "terminated;retry-after=-1", "active extra", "active;", "active,pending"}) {
    auto s = parse_subscription_state(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().header, "Subscription-State") << bad;
  }
}

TEST(EventHeaders, FromMessage) {
  auto m = parse_message(notify_with("o: presence;id=7\r\nSubscription-State: active;expires=599\r\n"));
  auto e = event(m);
  ASSERT_TRUE(e) << e.error().reason;
  ASSERT_TRUE(*e);
  EXPECT_EQ((*e)->type, "presence");
  EXPECT_EQ((*e)->id, "7");
  auto s = subscription_state(m);
  ASSERT_TRUE(s);
  ASSERT_TRUE(*s);
  EXPECT_EQ((*s)->expires, 599u);

  auto none = parse_message(notify_with(""));
  auto absent = event(none);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);

  auto twice = parse_message(notify_with("Event: presence\r\nEvent: dialog\r\n"));
  auto dup = event(twice);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().category, ErrorCategory::duplicate_header);
}

}  // namespace
}  // namespace osprey::sip
