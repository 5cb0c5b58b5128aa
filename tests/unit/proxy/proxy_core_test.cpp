#include "proxy/proxy_core.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "security/dialog_token.hpp"
#include "sip/route.hpp"
#include "store/binding_source_text.hpp"

#include "im/fake_message_store.hpp"
#include "recording_transport.hpp"
#include "security/address_set.hpp"
#include "security/fake_user_store.hpp"
#include "sip/builder.hpp"
#include "sip/message.hpp"
#include "store/memory_location_store.hpp"
#include "store/sqlite_user_store.hpp"
#include "temp_dir.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

using osprey::testing::endpoint;
using osprey::testing::RecordingTransport;

// The TU the tests run: everything goes to the proxy core, as LocalResponder does.
class ProxyUser : public txn::TransactionUser {
 public:
  ProxyCore* proxy = nullptr;
  Originator originator;  // what the access control decided, for every request
  void on_request(txn::ServerTransactionId t, const sip::Message& request, const net::Flow& flow) override {
    proxy->handle_request(t, request, flow, originator);
  }
  void on_ack(const sip::Message& ack, const net::Flow& flow) override {
    proxy->on_ack(ack, flow, originator.may_reach_gateway, originator.dialog_flow);
  }
  void on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel) override {
    proxy->on_cancel(invite, cancel);
  }
  void on_response(txn::ClientTransactionId t, const sip::Message& response) override {
    proxy->on_response(t, response);
  }
  void on_client_failure(txn::ClientTransactionId t, int status) override {
    proxy->on_client_failure(t, status);
  }
  void on_stray_response(const sip::Message& response, const net::Flow& flow) override {
    proxy->on_stray_response(response, flow);
  }
};

constexpr std::string_view kBobSip = "sip:bob@example.com";
constexpr std::string_view kBobSips = "sips:bob@example.com";

constexpr net::ConnectionId kRegisteringConnection = 7;

store::Binding binding(const std::string& contact, const std::string& source, std::uint16_t q = 1000,
                       std::string_view aor = kBobSip) {
  store::Binding b;
  b.aor = std::string(aor);
  b.contact = contact;
  b.q = q;
  b.expires_at = kNow + 3600;
  b.source = store::parse_source_text(source);
  // Over TCP/TLS, the connection the REGISTER came on (RecordingTransport::open_connection).
  if (b.source && net::is_reliable(b.source->protocol)) b.source->connection = kRegisteringConnection;
  return b;
}

class ProxyCoreTest : public ::testing::Test {
 protected:
  ProxyCoreTest()
      : table_(transport_, user_, {}, txn::Clock::now()),
        proxy_(
            table_, transport_, store_, net::LocalIdentity({"example.com"}), [] { return kNow; },
            [this] { return "tag" + std::to_string(++tags_); }) {
    user_.proxy = &proxy_;
    proxy_.identity().add_listener(net::Protocol::udp, endpoint("127.0.0.1", 5060));
    // As the server runs it (worker.cpp): the proxy detects loops, the table does not merge, and
    // a CANCEL that matched nothing is the proxy's to forward (§16.10).
    table_.set_options(
        {.reject_merged_requests = false, .forward_unmatched_cancels = true, .branch_prefix = "w0."});
  }

  // The bindings of bob's AOR `aor` (canonical: "sip:bob@example.com" or "sips:bob@example.com").
  void register_bob(std::vector<store::Binding> bindings, std::string_view aor = kBobSip) {
    store_.update(
        std::string(aor), kNow,
        [bindings](const std::vector<store::Binding>&) { return store::AorUpdate{bindings}; }, [](bool) {});
  }

  static std::string request_text(const std::string& method, const std::string& uri,
                                  const std::string& extra = "", const std::string& branch = "z9hG4bKup1",
                                  std::uint32_t cseq = 1) {
    return method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=" + branch +
           "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f1\r\nTo: <" + uri +
           ">\r\nCall-ID: call-1\r\nCSeq: " + std::to_string(cseq) + " " + method +
           "\r\nContact: <sip:alice@192.0.2.9:5070>\r\n" + extra + "Content-Length: 0\r\n\r\n";
  }

  // Feeds a message from `from` into the table.
  void feed(const std::string& text, const net::Endpoint& from) {
    auto message = sip::Message::parse(text);
    ASSERT_TRUE(message) << text;
    if (message->is_request()) {
      txn::stamp_received(*message, {net::Protocol::udp, from, endpoint("127.0.0.1", 5060), 0});
    }
    table_.receive(std::move(*message), {net::Protocol::udp, from, endpoint("127.0.0.1", 5060), 0});
  }
  void from_alice(const std::string& text) { feed(text, endpoint("192.0.2.9", 5070)); }

  // The answer of a downstream UA to a request the proxy sent (index into sent).
  std::string downstream_response(std::size_t index, int status, const std::string& to_tag = "bt") {
    auto request = sip::Message::parse(transport_.sent.at(index).bytes);
    EXPECT_TRUE(request);
    return sip::MessageBuilder::response_to(*request, status, {}, status == 100 ? "" : to_tag).serialize();
  }

  sip::Message parsed(std::size_t index) {
    auto message = sip::Message::parse(transport_.sent.at(index).bytes);
    EXPECT_TRUE(message);
    return std::move(*message);
  }
  sip::Message last() { return parsed(transport_.sent.size() - 1); }

  // Indices of the sent messages whose start line begins with `prefix`.
  std::vector<std::size_t> sent_starting(const std::string& prefix) const {
    std::vector<std::size_t> result;
    for (std::size_t i = 0; i < transport_.sent.size(); ++i)
      if (transport_.sent[i].bytes.rfind(prefix, 0) == 0) result.push_back(i);
    return result;
  }

  RecordingTransport transport_;
  ProxyUser user_;
  store::MemoryLocationStore store_;
  txn::TransactionTable table_;
  int tags_ = 0;
  ProxyCore proxy_;
};

TEST_F(ProxyCoreTest, UserWithoutBindingGets480) {
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 480);
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

// A branch lost to the network is told to the server (which logs it at info) with the
// Call-ID, where it went and why; an answer or a timeout is not a transport failure.
TEST_F(ProxyCoreTest, ABranchLostToATransportErrorIsReported) {
  std::vector<std::string> reports;
  ProxyEvents events;
  events.branch_transport_failure = [&](const BranchTransportFailure& failure) {
    reports.push_back(std::string(failure.call_id) + " " + net::to_string(failure.to.destination) + " " +
                      std::string(failure.cause));
  };
  proxy_.set_events(std::move(events));
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  transport_.fail_sends = true;
  from_alice(request_text("MESSAGE", "sip:bob@example.com"));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].rfind("call-1 192.0.2.20:5080 could not send", 0), 0u) << reports[0];
  transport_.fail_sends = false;

  reports.clear();
  from_alice(request_text("INVITE", "sip:bob@example.com", "", "z9hG4bKup2"));
  ASSERT_FALSE(sent_starting("INVITE ").empty());
  feed(downstream_response(sent_starting("INVITE ").front(), 486), endpoint("192.0.2.20", 5080));
  EXPECT_TRUE(reports.empty());
}

// RFC 3261 §16.5: a served user nobody can take the request for is answered here, and told to
// the server (an info line there), with why.
TEST_F(ProxyCoreTest, AServedUserWithoutBindingIsReportedAsNotReachable) {
  std::vector<std::string> reports;
  ProxyEvents events;
  events.user_not_reachable = [&](const UserNotReachable& event) {
    reports.push_back(std::string(event.method) + " " + std::string(event.request_uri) + " " +
                      std::to_string(event.status) + " " + std::string(event.why));
  };
  proxy_.set_events(std::move(events));
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  EXPECT_EQ(last().status(), 480);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0], "INVITE sip:bob@example.com 480 the user has no registered device");
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com", "", "z9hG4bKup2"));
  EXPECT_EQ(reports.size(), 1u);  // forwarded: nothing to report
}

// An ACK the proxy cannot deliver is told to the server (logged once per dialog there).
TEST_F(ProxyCoreTest, AnAckForAServedUserWithoutBindingIsReportedAsDropped) {
  std::vector<std::string> reports;
  ProxyEvents events;
  events.ack_dropped = [&](const sip::Message& ack, std::string_view why) {
    reports.push_back(std::string(ack.call_id().value_or("")) + ": " + std::string(why));
  };
  proxy_.set_events(std::move(events));
  std::string ack = request_text("ACK", "sip:bob@example.com");
  ack.replace(ack.find("To: <sip:bob@example.com>"), 25, "To: <sip:bob@example.com>;tag=b1");
  from_alice(ack);
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(reports, (std::vector<std::string>{"call-1: the served user it names has no usable binding"}));
}

TEST_F(ProxyCoreTest, InviteIsForwardedToTheContactAndResponsesComeBack) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.20", 5080));  // the binding's source flow
  const sip::Message forwarded = parsed(0);
  EXPECT_EQ(forwarded.request_uri().text, "sip:bob@10.0.0.2:5080");
  EXPECT_EQ(forwarded.max_forwards(), 69u);
  EXPECT_EQ(forwarded.first_value(sip::HeaderId::record_route),
            "<sip:127.0.0.1:5060;transport=udp;osp-dt;lr>");
  ASSERT_TRUE(forwarded.top_via());
  EXPECT_EQ(forwarded.top_via()->host, "127.0.0.1");
  EXPECT_EQ(forwarded.count(sip::HeaderId::via), 2u);

  feed(downstream_response(0, 100), endpoint("192.0.2.20", 5080));
  EXPECT_EQ(transport_.sent.size(), 1u);  // §16.7 step 5: 100 is not forwarded
  feed(downstream_response(0, 180), endpoint("192.0.2.20", 5080));
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[1].to, endpoint("192.0.2.9", 5070));
  EXPECT_EQ(last().status(), 180);
  EXPECT_EQ(last().count(sip::HeaderId::via), 1u);
  EXPECT_EQ(last().top_via()->host, "192.0.2.9");

  feed(downstream_response(0, 200), endpoint("192.0.2.20", 5080));
  ASSERT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(last().status(), 200);
  EXPECT_EQ(last().count(sip::HeaderId::via), 1u);
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyCoreTest, RetransmissionsOfThe2xxGoUpstreamToo) {
  // RFC 6026 §7.3: the callee repeats its 200 until the ACK comes; when the first copy was lost
  // between osprey and the caller, only these repeats can complete the call.
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  const std::string ok = downstream_response(0, 200);
  feed(ok, endpoint("192.0.2.20", 5080));
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(proxy_.active_requests(), 0u);
  for (std::size_t copy = 1; copy <= 2; ++copy) {
    feed(ok, endpoint("192.0.2.20", 5080));
    ASSERT_EQ(transport_.sent.size(), 2u + copy);
    EXPECT_EQ(transport_.sent.back().to, endpoint("192.0.2.9", 5070));
    EXPECT_EQ(last().status(), 200);
    EXPECT_EQ(last().count(sip::HeaderId::via), 1u);
    EXPECT_EQ(last().top_via()->branch, "z9hG4bKup1");
  }
  // Anything but a 2xx on the finished transaction stays where it is.
  feed(downstream_response(0, 180), endpoint("192.0.2.20", 5080));
  EXPECT_EQ(transport_.sent.size(), 4u);
}

TEST_F(ProxyCoreTest, ChangingTransportRecordRoutesTwice) {
  // In over UDP, out over TCP: each side of the dialog gets the URI it reaches osprey by, the
  // callee's (outbound) side on top (RFC 5658 §3.2).
  register_bob({binding("sip:bob@10.0.0.2:5080;transport=tcp", "tcp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  const sip::Message forwarded = parsed(0);
  std::vector<std::string> record_routes;
  forwarded.for_each_element(sip::HeaderId::record_route, [&](std::string_view value) {
    record_routes.emplace_back(value);
    return true;
  });
  ASSERT_EQ(record_routes.size(), 2u);
  EXPECT_EQ(record_routes[0], "<sip:127.0.0.1:5060;transport=tcp;osp-dt;lr>");
  EXPECT_EQ(record_routes[1], "<sip:127.0.0.1:5060;transport=udp;osp-dt;lr>");
}

TEST_F(ProxyCoreTest, EqualQForksInParallelAndA200CancelsTheOther) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080"),
                binding("sip:bob@10.0.0.3:5080", "udp:192.0.2.30:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.20", 5080));
  EXPECT_EQ(transport_.sent[1].to, endpoint("192.0.2.30", 5080));

  feed(downstream_response(1, 180, "b2"), endpoint("192.0.2.30", 5080));  // CANCEL needs a provisional
  feed(downstream_response(0, 200, "b1"), endpoint("192.0.2.20", 5080));
  const auto cancels = sent_starting("CANCEL ");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(transport_.sent[cancels[0]].to, endpoint("192.0.2.30", 5080));
  const auto oks = sent_starting("SIP/2.0 200");
  ASSERT_EQ(oks.size(), 1u);
  EXPECT_EQ(transport_.sent[oks[0]].to, endpoint("192.0.2.9", 5070));
}

TEST_F(ProxyCoreTest, LowerQIsTriedAfterTheHigherFails) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080", 1000),
                binding("sip:bob@10.0.0.3:5080", "udp:192.0.2.30:5080", 500)});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.20", 5080));
  feed(downstream_response(0, 480), endpoint("192.0.2.20", 5080));
  const auto invites = sent_starting("INVITE ");
  ASSERT_EQ(invites.size(), 2u);
  EXPECT_EQ(transport_.sent[invites[1]].to, endpoint("192.0.2.30", 5080));
  EXPECT_TRUE(sent_starting("SIP/2.0 480").empty());
}

TEST_F(ProxyCoreTest, BusyOnTheOnlyBranchGoesUpstream) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  feed(downstream_response(0, 486), endpoint("192.0.2.20", 5080));
  const auto busy = sent_starting("SIP/2.0 486");
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_EQ(transport_.sent[busy[0]].to, endpoint("192.0.2.9", 5070));
  EXPECT_EQ(parsed(busy[0]).count(sip::HeaderId::via), 1u);
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyCoreTest, WhenEveryBranchFailsTheBestResponseWins) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080"),
                binding("sip:bob@10.0.0.3:5080", "udp:192.0.2.30:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  feed(downstream_response(0, 500, "b1"), endpoint("192.0.2.20", 5080));
  EXPECT_TRUE(sent_starting("SIP/2.0").empty());  // one branch still pending
  feed(downstream_response(1, 404, "b2"), endpoint("192.0.2.30", 5080));
  EXPECT_EQ(sent_starting("SIP/2.0 404").size(), 1u);  // 4xx before 5xx (§16.7 step 6)
  EXPECT_TRUE(sent_starting("SIP/2.0 500").empty());
}

TEST_F(ProxyCoreTest, AForwarded401Or407CarriesTheChallengesOfEveryBranch) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080"),
                binding("sip:bob@10.0.0.3:5080", "udp:192.0.2.30:5080"),
                binding("sip:bob@10.0.0.4:5080", "udp:192.0.2.40:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 3u);
  auto challenged = [&](std::size_t index, int status, const std::string& tag, const std::string& header,
                        const std::string& realm) {
    auto request = sip::Message::parse(transport_.sent.at(index).bytes);
    EXPECT_TRUE(request);
    return sip::MessageBuilder::response_to(*request, status, {}, tag)
        .header(header, "Digest realm=\"" + realm + "\", nonce=\"n-" + realm + "\", qop=\"auth\"")
        .serialize();
  };
  feed(challenged(0, 401, "b1", "WWW-Authenticate", "one.example"), endpoint("192.0.2.20", 5080));
  feed(challenged(1, 407, "b2", "Proxy-Authenticate", "two.example"), endpoint("192.0.2.30", 5080));
  feed(downstream_response(2, 486, "b3"), endpoint("192.0.2.40", 5080));
  const auto answers = sent_starting("SIP/2.0 4");
  ASSERT_EQ(answers.size(), 1u);
  // §16.7 step 6: 401 and 407 rank first among the 4xx, the earlier wins; step 7: it also
  // carries the 407's challenge, unmodified.
  const sip::Message answer = parsed(answers[0]);
  EXPECT_EQ(answer.status(), 401);
  ASSERT_EQ(answer.count(sip::HeaderId::www_authenticate), 1u);
  ASSERT_EQ(answer.count(sip::HeaderId::proxy_authenticate), 1u);
  EXPECT_EQ(*answer.first_value(sip::HeaderId::proxy_authenticate),
            "Digest realm=\"two.example\", nonce=\"n-two.example\", qop=\"auth\"");
  EXPECT_EQ(*answer.first_value(sip::HeaderId::www_authenticate),
            "Digest realm=\"one.example\", nonce=\"n-one.example\", qop=\"auth\"");
}

TEST_F(ProxyCoreTest, A503IsAnswered500Upstream) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  feed(downstream_response(0, 503), endpoint("192.0.2.20", 5080));
  EXPECT_EQ(sent_starting("SIP/2.0 500").size(), 1u);
  EXPECT_TRUE(sent_starting("SIP/2.0 503").empty());
}

TEST_F(ProxyCoreTest, A6xxEndsTheSearchAndCancelsTheOthers) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080"),
                binding("sip:bob@10.0.0.3:5080", "udp:192.0.2.30:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  feed(downstream_response(1, 180, "b2"), endpoint("192.0.2.30", 5080));
  feed(downstream_response(0, 603, "b1"), endpoint("192.0.2.20", 5080));
  EXPECT_EQ(sent_starting("CANCEL ").size(), 1u);
  EXPECT_TRUE(sent_starting("SIP/2.0 603").empty());  // waits for the cancelled branch
  feed(downstream_response(1, 487, "b2"), endpoint("192.0.2.30", 5080));
  EXPECT_EQ(sent_starting("SIP/2.0 603").size(), 1u);
}

// §16.10: a CANCEL that matched nothing is forwarded, but only what §9.1 and RFC 3326 give it:
// nobody authenticated it, so a body or Subject would be a free message channel to the callee.
TEST_F(ProxyCoreTest, AStrayCancelIsForwardedWithoutBodyOrExtraHeaders) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  const std::string body = "BUY NOW";
  from_alice(
      "CANCEL sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKstray\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:eve@evil.example>;tag=f1\r\nTo: <sip:bob@example.com>\r\n"
      "Call-ID: stray-1\r\nCSeq: 1 CANCEL\r\nSubject: BUY NOW\r\nAlert-Info: <http://evil.example/ring>\r\n"
      "X-Spam: yes\r\nReason: SIP;cause=200;text=\"Call completed elsewhere\"\r\nContent-Type: text/plain\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  const auto cancels = sent_starting("CANCEL ");
  ASSERT_EQ(cancels.size(), 1u);
  const sip::Message forwarded = parsed(cancels[0]);
  EXPECT_TRUE(forwarded.body().empty());
  for (const char* gone : {"Subject", "Alert-Info", "X-Spam", "Content-Type", "Contact"})
    EXPECT_FALSE(forwarded.first_value(gone)) << gone;
  for (const char* kept : {"Reason", "Call-ID", "From", "To", "CSeq", "Max-Forwards"})
    EXPECT_TRUE(forwarded.first_value(kept)) << kept;
  EXPECT_EQ(forwarded.count(sip::HeaderId::via), 2u);

  // A Reason whose text is an advertisement (long, or folded onto more lines) goes too.
  for (const std::string& reason : {"Reason: SIP;cause=487;text=\"" + std::string(200, 'x') + "\"",
                                    std::string("Reason: SIP;cause=487;text=\"CALL NOW\"\r\n more text")}) {
    const std::size_t before = sent_starting("CANCEL ").size();
    from_alice("CANCEL sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKstray" +
               std::to_string(before) +
               "\r\nMax-Forwards: 70\r\nFrom: <sip:eve@evil.example>;tag=f1\r\nTo: <sip:bob@example.com>\r\n"
               "Call-ID: stray-2\r\nCSeq: 1 CANCEL\r\n" +
               reason + "\r\nContent-Length: 0\r\n\r\n");
    const auto now_sent = sent_starting("CANCEL ");
    ASSERT_EQ(now_sent.size(), before + 1);
    EXPECT_FALSE(parsed(now_sent.back()).first_value("Reason")) << reason;
  }
}

TEST_F(ProxyCoreTest, CancelUpstreamCancelsDownstreamAndEndsWith487) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  feed(downstream_response(0, 180), endpoint("192.0.2.20", 5080));
  from_alice(request_text("CANCEL", "sip:bob@example.com", "", "z9hG4bKup1"));
  EXPECT_EQ(sent_starting("SIP/2.0 200").size(), 1u);  // the table's 200 for the CANCEL
  const auto cancels = sent_starting("CANCEL ");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(transport_.sent[cancels[0]].to, endpoint("192.0.2.20", 5080));
  EXPECT_TRUE(sent_starting("SIP/2.0 487").empty());
  feed(downstream_response(0, 487), endpoint("192.0.2.20", 5080));
  const auto terminated = sent_starting("SIP/2.0 487");
  ASSERT_EQ(terminated.size(), 1u);
  EXPECT_EQ(transport_.sent[terminated[0]].to, endpoint("192.0.2.9", 5070));
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyCoreTest, ThePathOfTheBindingBecomesRouteAndTheNextHop) {
  auto b = binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080");
  b.path = {"<sip:192.0.2.70:5070;lr>"};
  register_bob({b});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.70", 5070));  // RFC 3327 §5.3
  EXPECT_EQ(parsed(0).first_value(sip::HeaderId::route), "<sip:192.0.2.70:5070;lr>");
  EXPECT_EQ(parsed(0).request_uri().text, "sip:bob@10.0.0.2:5080");
}

TEST_F(ProxyCoreTest, CancelBeforeAnyBranchAnsweredIsHeldThen487) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  from_alice(request_text("CANCEL", "sip:bob@example.com", "", "z9hG4bKup1"));
  EXPECT_TRUE(sent_starting("CANCEL ").empty());  // §9.1: held until a provisional response
  feed(downstream_response(0, 180), endpoint("192.0.2.20", 5080));
  EXPECT_EQ(sent_starting("CANCEL ").size(), 1u);
  feed(downstream_response(0, 487), endpoint("192.0.2.20", 5080));
  EXPECT_EQ(sent_starting("SIP/2.0 487").size(), 1u);
}

TEST_F(ProxyCoreTest, MessageIsNotRecordRouted) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("MESSAGE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(parsed(0).count(sip::HeaderId::record_route), 0u);
  EXPECT_EQ(parsed(0).request_uri().text, "sip:bob@10.0.0.2:5080");
}

TEST_F(ProxyCoreTest, OurRouteIsPoppedAndTheNextRouteIsTheNextHop) {
  from_alice(request_text("BYE", "sip:carol@192.0.2.60:5090",
                          "Route: <sip:127.0.0.1:5060;transport=udp;lr>, <sip:192.0.2.50:5070;lr>\r\n"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.50", 5070));
  const sip::Message forwarded = parsed(0);
  EXPECT_EQ(forwarded.request_uri().text, "sip:carol@192.0.2.60:5090");
  EXPECT_EQ(forwarded.count(sip::HeaderId::route), 1u);
  EXPECT_EQ(forwarded.first_value(sip::HeaderId::route), "<sip:192.0.2.50:5070;lr>");
}

TEST_F(ProxyCoreTest, OtherDomainGoesToTheRequestUri) {
  from_alice(request_text("INVITE", "sip:carol@192.0.2.60:5090"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.60", 5090));
  EXPECT_EQ(parsed(0).request_uri().text, "sip:carol@192.0.2.60:5090");
}

TEST_F(ProxyCoreTest, TheSameRequestComingBackIsALoop) {
  from_alice(request_text("OPTIONS", "sip:carol@192.0.2.60:5090"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  // The next hop sends it straight back, our Via still in it.
  feed(transport_.sent[0].bytes, endpoint("192.0.2.60", 5090));
  // The proxy's own check (loop_hash, §16.3 step 4) finds its Via with the same hash.
  EXPECT_EQ(last().status(), 482);
}

// A spiral (same From tag, Call-ID and CSeq, new Request-URI) must be forwarded (§16.3 step 4):
// the server's table leaves merged-request detection (§8.2.2.2) off for that reason.
TEST_F(ProxyCoreTest, ASpiralWithANewRequestUriIsForwarded) {
  from_alice(request_text("OPTIONS", "sip:carol@192.0.2.60:5090"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  // The next hop retargets it and sends it back through us: a spiral (§16.3 step 4), not a loop.
  std::string back = transport_.sent[0].bytes;
  back.replace(0, back.find(" SIP/2.0"), "OPTIONS sip:carol@192.0.2.61:5090");
  feed(back, endpoint("192.0.2.60", 5090));
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[1].to, endpoint("192.0.2.61", 5090));
  EXPECT_EQ(proxy_.counters().loops, 0u);
}

TEST_F(ProxyCoreTest, StrictPreviousHopPutsOurUriInTheRequestUri) {
  // §16.4: the Request-URI is our Record-Route URI (as osprey writes it without a dialog token:
  // osp-dt marks it); the real one is the last Route value.
  from_alice(request_text("BYE", "sip:127.0.0.1:5060;transport=udp;osp-dt;lr",
                          "Route: <sip:192.0.2.50:5070;lr>, <sip:carol@192.0.2.60:5090>\r\n"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.50", 5070));
  const sip::Message forwarded = parsed(0);
  EXPECT_EQ(forwarded.request_uri().text, "sip:carol@192.0.2.60:5090");
  EXPECT_EQ(forwarded.first_value(sip::HeaderId::route), "<sip:192.0.2.50:5070;lr>");
}

// RFC 3261 §26.2.2, RFC 5630 §3.1.3: a sips: request leaves only over TLS. bob's bindings of
// his sips: AOR came over UDP and TCP: they are not used, and the caller hears 480 (osprey
// speaks TLS, bob has no TLS flow now).
TEST_F(ProxyCoreTest, SipsRequestIsNeverSentToABindingOverUdpOrTcp) {
  proxy_.identity().add_listener(net::Protocol::tls, endpoint("127.0.0.1", 5061));
  for (std::string_view aor : {kBobSips, kBobSip}) {
    register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080", 1000, aor),
                  binding("sip:bob@10.0.0.3:5080;transport=tcp", "tcp:192.0.2.21:5080", 1000, aor)},
                 aor);
  }
  from_alice(request_text("INVITE", "sips:bob@example.com"));
  EXPECT_TRUE(sent_starting("INVITE ").empty());
  ASSERT_EQ(sent_starting("SIP/2.0 480").size(), 1u);
  // A sips: MESSAGE the same.
  from_alice(request_text("MESSAGE", "sips:bob@example.com", "", "z9hG4bKup2"));
  EXPECT_TRUE(sent_starting("MESSAGE ").empty());
  EXPECT_EQ(sent_starting("SIP/2.0 480").size(), 2u);
  // The same user by sip: is reached as before.
  from_alice(request_text("MESSAGE", "sip:bob@example.com", "", "z9hG4bKup3"));
  EXPECT_EQ(sent_starting("MESSAGE ").size(), 2u);
}

// A sips: next hop named by a Route is the same: a Route toward plain UDP does not carry it.
TEST_F(ProxyCoreTest, SipsRequestDoesNotFollowARouteOverUdp) {
  proxy_.identity().add_listener(net::Protocol::tls, endpoint("127.0.0.1", 5061));
  from_alice(request_text("MESSAGE", "sips:carol@192.0.2.60", "Route: <sip:192.0.2.50:5070;lr>\r\n"));
  EXPECT_TRUE(sent_starting("MESSAGE ").empty());
  EXPECT_EQ(sent_starting("SIP/2.0 480").size(), 1u);
}

// Without a TLS listener osprey cannot handle the scheme at all (§16.3 step 2): 416.
TEST_F(ProxyCoreTest, SipsWithoutATlsListenerIs416) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sips:bob@example.com"));
  EXPECT_TRUE(sent_starting("INVITE ").empty());
  EXPECT_EQ(sent_starting("SIP/2.0 416").size(), 1u);
}

// §16.6 step 4, RFC 5630 §3.1.2: to a TLS binding the sips: request goes, with a SIPS
// Record-Route (no transport parameter); a sip: request keeps the sip: one.
TEST_F(ProxyCoreTest, SipsRequestGetsASipsRecordRouteOverTls) {
  proxy_.identity().add_listener(net::Protocol::tls, endpoint("127.0.0.1", 5061));
  register_bob({binding("sips:bob@10.0.0.2:5081", "tls:192.0.2.20:5081", 1000, kBobSips)}, kBobSips);
  from_alice(request_text("INVITE", "sips:bob@example.com"));
  ASSERT_EQ(sent_starting("INVITE ").size(), 1u);
  const sip::Message forwarded = parsed(sent_starting("INVITE ").front());
  EXPECT_EQ(forwarded.request_uri().text, "sips:bob@10.0.0.2:5081");
  auto record_routes = sip::routes(forwarded, sip::HeaderId::record_route);
  ASSERT_TRUE(record_routes);
  ASSERT_FALSE(record_routes->empty());
  for (const auto& value : *record_routes) {
    EXPECT_EQ(value.uri.scheme, sip::UriScheme::sips) << value.text;
    EXPECT_FALSE(value.uri.has_param("transport")) << value.text;
    EXPECT_TRUE(sip::placed_in_record_route(value.uri, proxy_.identity())) << value.text;
  }
  // The caller came over UDP, but a sips: dialog reaches osprey over TLS on both sides: one
  // Record-Route at the TLS address serves both.
  EXPECT_EQ(record_routes->size(), 1u);
}

// RFC 3261 §19.1.4: "A SIP and SIPS URI are never equivalent", so sip:bob and sips:bob are two
// AORs (§10.3 step 5) and a request for one reaches the bindings of that one only (§16.5).
TEST_F(ProxyCoreTest, SipAndSipsRequestsReachOnlyTheBindingsOfTheirOwnAor) {
  proxy_.identity().add_listener(net::Protocol::tls, endpoint("127.0.0.1", 5061));
  register_bob({binding("sip:bob@10.0.0.2:5081;transport=tls", "tls:192.0.2.20:5081")});
  register_bob({binding("sips:bob@10.0.0.3:5081", "tls:192.0.2.30:5081", 1000, kBobSips)}, kBobSips);
  from_alice(request_text("INVITE", "sips:bob@example.com"));
  ASSERT_EQ(sent_starting("INVITE ").size(), 1u);
  EXPECT_EQ(parsed(sent_starting("INVITE ").front()).request_uri().text, "sips:bob@10.0.0.3:5081");
  from_alice(request_text("INVITE", "sip:bob@example.com", "", "z9hG4bKup2"));
  ASSERT_EQ(sent_starting("INVITE ").size(), 2u);
  EXPECT_EQ(parsed(sent_starting("INVITE ").back()).request_uri().text,
            "sip:bob@10.0.0.2:5081;transport=tls");
}

// A user registered under one scheme only is, for the other, a user with no binding: 480, even
// when the binding came over TLS and could carry the sips: request.
TEST_F(ProxyCoreTest, AnAorRegisteredUnderTheOtherSchemeOnlyHasNoBinding480) {
  proxy_.identity().add_listener(net::Protocol::tls, endpoint("127.0.0.1", 5061));
  register_bob({binding("sip:bob@10.0.0.2:5081;transport=tls", "tls:192.0.2.20:5081")});
  from_alice(request_text("INVITE", "sips:bob@example.com"));
  EXPECT_TRUE(sent_starting("INVITE ").empty());
  EXPECT_EQ(sent_starting("SIP/2.0 480").size(), 1u);

  register_bob({}, kBobSip);
  register_bob({binding("sips:bob@10.0.0.3:5081", "tls:192.0.2.30:5081", 1000, kBobSips)}, kBobSips);
  from_alice(request_text("INVITE", "sip:bob@example.com", "", "z9hG4bKup2"));
  EXPECT_TRUE(sent_starting("INVITE ").empty());
  EXPECT_EQ(sent_starting("SIP/2.0 480").size(), 2u);
}

TEST_F(ProxyCoreTest, TimeoutOfAnInviteBranchIs408) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  table_.advance(txn::Clock::now() + std::chrono::seconds(40));  // Timer B (64*T1)
  EXPECT_FALSE(sent_starting("SIP/2.0 408").empty());            // and its Timer G retransmissions
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyCoreTest, TimeoutOfEveryNonInviteBranchIsNotAnswered408) {
  // RFC 4320 §4.2: a proxy never sends 408 to a non-INVITE; the client's Timer F ends it.
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  const std::string message = request_text("MESSAGE", "sip:bob@example.com");
  from_alice(message);
  const auto start = txn::Clock::now();
  table_.advance(start + std::chrono::seconds(40));  // Timer F (64*T1)
  EXPECT_TRUE(sent_starting("SIP/2.0").empty());
  EXPECT_EQ(proxy_.active_requests(), 0u);
  EXPECT_EQ(proxy_.counters().timeouts_unanswered, 1u);
  // A late retransmission is absorbed, not forwarded as a new request nor answered.
  const std::size_t before = transport_.sent.size();
  from_alice(message);
  EXPECT_EQ(transport_.sent.size(), before);
  // The abandoned server transaction ends after Timer J.
  table_.advance(start + std::chrono::seconds(80));
  EXPECT_EQ(table_.server_count(), 0u);
}

TEST_F(ProxyCoreTest, ANonInviteGetsAnotherBranchsFinalRatherThanA408) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080"),
                binding("sip:bob@10.0.0.3:5080", "udp:192.0.2.30:5080")});
  from_alice(request_text("MESSAGE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 2u);
  feed(downstream_response(0, 408), endpoint("192.0.2.20", 5080));
  feed(downstream_response(1, 404), endpoint("192.0.2.30", 5080));
  EXPECT_TRUE(sent_starting("SIP/2.0 408").empty());
  EXPECT_EQ(sent_starting("SIP/2.0 404").size(), 1u);
}

TEST_F(ProxyCoreTest, ANonInviteWhoseOnlyBranchAnswers408GetsNothing) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("OPTIONS", "sip:bob@example.com"));
  feed(downstream_response(0, 408), endpoint("192.0.2.20", 5080));
  EXPECT_TRUE(sent_starting("SIP/2.0").empty());
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyCoreTest, AckFor2xxFollowsTheRoute) {
  from_alice(request_text("ACK", "sip:bob@10.0.0.2:5080", "Route: <sip:127.0.0.1:5060;transport=udp;lr>\r\n",
                          "z9hG4bKack1"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("10.0.0.2", 5080));
  const sip::Message ack = parsed(0);
  EXPECT_EQ(ack.count(sip::HeaderId::route), 0u);
  EXPECT_EQ(ack.max_forwards(), 69u);
  EXPECT_EQ(ack.top_via()->host, "127.0.0.1");
  EXPECT_EQ(proxy_.counters().acks_forwarded, 1u);
}

// The callee's requests carry the token of the request's Record-Route, the caller's the one
// osprey wrote into the Record-Route of the response (RFC 3261 §16.7 step 4): each side reaches
// only the other's places, and only as itself.
TEST_F(ProxyCoreTest, EachSideOfADialogGetsItsOwnToken) {
  security::DialogToken::Secret secret{};
  secret.fill(9);
  const security::DialogToken tokens(secret, 3600);
  proxy_.set_dialog_tokens(&tokens);
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  const auto invites = sent_starting("INVITE");
  ASSERT_EQ(invites.size(), 1u);
  const sip::Message invite = parsed(invites[0]);
  const auto recorded = invite.first_value(sip::HeaderId::record_route);
  ASSERT_TRUE(recorded);
  // bob's phone copies the Record-Route into its 180, spelt its own way (names are
  // case-insensitive, §7.3.5; some phones only read the usual spelling).
  std::string ringing = downstream_response(invites[0], 180, "bt");
  ringing.insert(ringing.find("Content-Length"),
                 "Record-route: " + std::string(*recorded) + "\r\nContact: <sip:bob@10.0.0.2:5080>\r\n");
  feed(ringing, endpoint("192.0.2.20", 5080));
  const auto up = sent_starting("SIP/2.0 180");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_NE(transport_.sent[up[0]].bytes.find("\r\nRecord-Route: "), std::string::npos);
  const auto token_of = [](std::string_view value) {
    auto list = sip::parse_route_list(value, "Record-Route");
    EXPECT_TRUE(list && !list->empty());
    auto token = list ? list->front().uri.param(security::DialogToken::kParam) : std::nullopt;
    return std::string(token.value_or(""));
  };
  const std::string toward_caller = token_of(*recorded);
  const std::string toward_callee = token_of(*parsed(up[0]).first_value(sip::HeaderId::record_route));
  ASSERT_FALSE(toward_callee.empty());
  EXPECT_NE(toward_caller, toward_callee);
  security::DialogRequest from_alice{
      "call-1", "f1", "bt", "sip:alice@example.com", "sip:bob@example.com", "10.0.0.2:5080"};
  EXPECT_TRUE(tokens.admits(toward_callee, from_alice, kNow));
  EXPECT_FALSE(tokens.admits(toward_caller, from_alice, kNow));
  from_alice.next_hop = "192.0.2.9:5070";  // her own Contact: not a place her requests may go
  EXPECT_FALSE(tokens.admits(toward_callee, from_alice, kNow));
  const security::DialogRequest from_bob{
      "call-1", "bt", "f1", "sip:bob@example.com", "sip:alice@example.com", "192.0.2.9:5070"};
  EXPECT_TRUE(tokens.admits(toward_caller, from_bob, kNow));
  EXPECT_FALSE(tokens.admits(toward_callee, from_bob, kNow));
}

TEST_F(ProxyCoreTest, AResponseMatchingNoTransactionIsNotForwarded) {
  // RFC 6026 §7.3: "The proxy MUST NOT forward the response if there is no matching
  // transaction state machine." Anyone can
  // forge our address into a top Via; relaying would reflect the forger's response (and body)
  // to the address of the second Via, over UDP or a new connection, or back to us.
  auto stray = [](const std::string& next_via) {
    return "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKgone\r\nVia: " + next_via +
           "\r\nFrom: <sip:alice@example.com>;tag=f1\r\nTo: <sip:bob@example.com>;tag=t1\r\n"
           "Call-ID: c9\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  };
  feed(stray("SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKup9"), endpoint("192.0.2.20", 5080));
  feed(stray("SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bKup9;received=192.0.2.9;rport=5071"),
       endpoint("192.0.2.20", 5080));
  feed(stray("SIP/2.0/TCP 198.51.100.7:25;branch=z9hG4bKup9"), endpoint("192.0.2.20", 5080));
  feed(stray("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKup9"), endpoint("192.0.2.20", 5080));
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(proxy_.counters().stray_forwarded, 0u);
  EXPECT_EQ(proxy_.counters().stray_dropped, 4u);
}

TEST_F(ProxyCoreTest, TheProxysOwnResponseAfterABranchFailedCarriesReceivedAndRport) {
  // RFC 3581 §4: the response to a request whose Via has rport carries rport=<source port> and
  // received=<source address>, the 500 the proxy makes after its branch failed too.
  transport_.udp_only = true;  // the binding is over TCP: the branch cannot be sent (503 -> 500)
  register_bob({binding("sip:bob@10.0.0.2:5080;transport=tcp", "tcp:192.0.2.20:5080")});
  std::string text = request_text("INVITE", "sip:bob@example.com");
  text.replace(text.find("branch=z9hG4bKup1"), 17, "branch=z9hG4bKup1;rport");
  feed(text, endpoint("192.0.2.9", 5071));
  const auto errors = sent_starting("SIP/2.0 500");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(transport_.sent[errors[0]].to, endpoint("192.0.2.9", 5071));
  const sip::Message response = parsed(errors[0]);
  ASSERT_TRUE(response.top_via());
  EXPECT_EQ(response.top_via()->rport, "5071");
  EXPECT_EQ(response.top_via()->received, "192.0.2.9");
}

// A caller on TCP: the request as `from_alice` sends it, on connection 7.
void feed_tcp_from_alice(txn::TransactionTable& table, std::string text) {
  text.replace(text.find("SIP/2.0/UDP"), 11, "SIP/2.0/TCP");
  auto message = sip::Message::parse(text);
  ASSERT_TRUE(message) << text;
  const net::Flow flow{net::Protocol::tcp, endpoint("192.0.2.9", 5070), endpoint("127.0.0.1", 5060), 7};
  txn::stamp_received(*message, flow);
  table.receive(std::move(*message), flow);
}

// RFC 7118 §5, RFC 5658: a caller on WebSocket reaches osprey only over WebSocket, so her side
// of the dialog gets a Record-Route naming transport=ws; the UDP callee's side names UDP.
TEST_F(ProxyCoreTest, CallerOnWebSocketGetsAWebSocketRecordRoute) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  std::string text = request_text("INVITE", "sip:bob@example.com");
  text.replace(text.find("SIP/2.0/UDP 192.0.2.9:5070"), 26, "SIP/2.0/WS df7jal23ls0d.invalid");
  auto message = sip::Message::parse(text);
  ASSERT_TRUE(message) << text;
  const net::Flow flow{net::Protocol::ws, endpoint("192.0.2.9", 40001), endpoint("127.0.0.1", 5060), 7};
  txn::stamp_received(*message, flow);
  table_.receive(std::move(*message), flow);
  ASSERT_EQ(transport_.sent.size(), 1u);
  std::vector<std::string> record_routes;
  parsed(0).for_each_element(sip::HeaderId::record_route, [&](std::string_view value) {
    record_routes.emplace_back(value);
    return true;
  });
  ASSERT_EQ(record_routes.size(), 2u);
  EXPECT_EQ(record_routes[0], "<sip:127.0.0.1:5060;transport=udp;osp-dt;lr>");
  EXPECT_EQ(record_routes[1], "<sip:127.0.0.1:5060;transport=ws;osp-dt;lr>");
  // The answer goes back on her connection, never to the .invalid sent-by (§18.2.2).
  feed(downstream_response(0, 200), endpoint("192.0.2.20", 5080));
  const auto oks = sent_starting("SIP/2.0 200");
  ASSERT_EQ(oks.size(), 1u);
  EXPECT_EQ(transport_.sent[oks[0]].to, endpoint("192.0.2.9", 40001));
}

// A callee registered over WebSocket is reached over that connection only, and not at all once
// it closed (RFC 7118 §5: its Contact is a made-up .invalid name).
TEST_F(ProxyCoreTest, CalleeOnWebSocketIsReachedOnlyOverItsConnection) {
  register_bob({binding("sip:bob@df7jal23ls0d.invalid;transport=ws", "ws:192.0.2.20:40001")});
  transport_.open_connection(endpoint("192.0.2.20", 40001), kRegisteringConnection);
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.20", 40001));
  EXPECT_EQ(parsed(0).request_uri().text, "sip:bob@df7jal23ls0d.invalid;transport=ws");
  EXPECT_NE(parsed(0).first_value(sip::HeaderId::record_route)->find("transport=ws"), std::string_view::npos);
}

TEST_F(ProxyCoreTest, EveryForkOfADownstreamProxyAnswering2xxReachesACallerOnTcp) {
  // RFC 3261 §16.7 step 5, RFC 6026 §7.1: a proxy forwards every 2xx to an INVITE. Behind our
  // one branch a forking proxy answers twice (two To tags); the second 200 must reach the
  // caller over her TCP connection, through the INVITE's server transaction (Accepted).
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  feed_tcp_from_alice(table_, request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  feed(downstream_response(0, 200, "fork1"), endpoint("192.0.2.20", 5080));
  feed(downstream_response(0, 200, "fork2"), endpoint("192.0.2.20", 5080));
  const auto oks = sent_starting("SIP/2.0 200");
  ASSERT_EQ(oks.size(), 2u);
  EXPECT_EQ(transport_.sent[oks[0]].to, endpoint("192.0.2.9", 5070));
  EXPECT_EQ(transport_.sent[oks[1]].to, endpoint("192.0.2.9", 5070));
  EXPECT_NE(parsed(oks[1]).to()->tag(), parsed(oks[0]).to()->tag());
  EXPECT_EQ(parsed(oks[1]).count(sip::HeaderId::via), 1u);
  // The callee's retransmission of a 200 reaches her too (it is the same 2xx again).
  feed(downstream_response(0, 200, "fork2"), endpoint("192.0.2.20", 5080));
  EXPECT_EQ(sent_starting("SIP/2.0 200").size(), 3u);
}

TEST_F(ProxyCoreTest, TwoContactsBothAnswering200ReachACallerOnTcp) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080"),
                binding("sip:bob@10.0.0.3:5080", "udp:192.0.2.30:5080")});
  feed_tcp_from_alice(table_, request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 2u);
  feed(downstream_response(0, 200, "b1"), endpoint("192.0.2.20", 5080));
  feed(downstream_response(1, 200, "b2"), endpoint("192.0.2.30", 5080));
  // The first callee repeats its 200 after both branches ended (the context is gone).
  feed(downstream_response(0, 200, "b1"), endpoint("192.0.2.20", 5080));
  const auto oks = sent_starting("SIP/2.0 200");
  ASSERT_EQ(oks.size(), 3u);
  for (std::size_t index : oks) EXPECT_EQ(transport_.sent[index].to, endpoint("192.0.2.9", 5070));
  EXPECT_EQ(parsed(oks[0]).to()->tag(), "b1");
  EXPECT_EQ(parsed(oks[1]).to()->tag(), "b2");
}

}  // namespace
}  // namespace osprey::proxy

namespace osprey::proxy {
namespace {

// The proxy with its local services attached: accounts (404 vs 480), RFC 3428 store-and-forward
// and the MESSAGE body limit.
class ProxyServicesTest : public ProxyCoreTest {
 protected:
  ProxyServicesTest()
      : offline_(
            io_context_, table_, messages_, [] { return kNow; }, [] { return std::string("st"); }) {
    auto users = store::open_user_store(dir_.path());
    EXPECT_TRUE(users) << users.error();
    users_ = std::move(*users);
    proxy_.attach({.users = users_.get(),
                   .offline = &offline_,
                   .im_limits = {.max_body_bytes = 64},
                   .trusted_peers = nullptr,
                   .gateway = {}});
  }

  void add_account(const std::string& aor) {
    auto added = users_->add(aor, {std::string(32, 'a'), std::string(64, 'b')});
    ASSERT_TRUE(added) << added.error();
  }

  static std::string message_text(const std::string& body) {
    std::string text =
        request_text("MESSAGE", "sip:bob@example.com", "Content-Type: text/plain;charset=utf-8\r\n");
    const std::string empty = "Content-Length: 0\r\n\r\n";
    text.replace(text.find(empty), empty.size(),
                 "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return text;
  }

  test_support::TempDir dir_;
  boost::asio::io_context io_context_;
  im::testing::FakeMessageStore messages_;
  im::OfflineMessages offline_;
  std::unique_ptr<store::UserStore> users_;
};

TEST_F(ProxyServicesTest, WithAccountsAUserWithoutOneIsUnknown404AndAnAccountWithoutBinding480) {
  add_account("sip:carol@example.com");
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 404);
  from_alice(request_text("INVITE", "sip:carol@example.com", "", "z9hG4bKcarol"));
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(last().status(), 480);
  EXPECT_EQ(messages_.messages.size(), 0u);  // an INVITE is never stored
}

// The account is one for both schemes (sip::account_aor): a known user registered under
// sips: only is not "unknown" for sip:, and the other way round; a sip: MESSAGE for her is kept
// for her sip: AOR, as for any user with no binding of that AOR. A sips: MESSAGE is never stored.
TEST_F(ProxyServicesTest, AnAccountRegisteredUnderOneSchemeIsKnownButUnreachableUnderTheOther) {
  proxy_.identity().add_listener(net::Protocol::tls, endpoint("127.0.0.1", 5061));
  add_account("sip:bob@example.com");
  register_bob({binding("sips:bob@10.0.0.3:5081", "tls:192.0.2.30:5081", 1000, kBobSips)}, kBobSips);
  from_alice(message_text("plain"));
  EXPECT_TRUE(sent_starting("MESSAGE ").empty());
  ASSERT_EQ(messages_.messages.size(), 1u);
  EXPECT_EQ(messages_.messages.begin()->second.aor, "sip:bob@example.com");

  register_bob({}, kBobSips);
  register_bob({binding("sip:bob@10.0.0.2:5081;transport=tls", "tls:192.0.2.20:5081")});
  from_alice(request_text("INVITE", "sips:bob@example.com", "", "z9hG4bKup2"));
  EXPECT_TRUE(sent_starting("INVITE ").empty());
  EXPECT_EQ(sent_starting("SIP/2.0 480").size(), 1u);
  EXPECT_TRUE(sent_starting("SIP/2.0 404").empty());
  EXPECT_EQ(messages_.messages.size(), 1u);
}

TEST_F(ProxyServicesTest, MessageToAnOfflineUserIsAnswered202OnlyOnceStored) {
  from_alice(message_text("hello"));
  EXPECT_EQ(transport_.sent.size(), 0u);  // nothing yet: the store has not made it durable
  ASSERT_EQ(messages_.messages.size(), 1u);
  EXPECT_EQ(messages_.messages.begin()->second.aor, "sip:bob@example.com");
  EXPECT_EQ(messages_.messages.begin()->second.body, "hello");
  ASSERT_TRUE(messages_.make_durable());
  io_context_.poll();
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 202);
}

TEST_F(ProxyServicesTest, MessageBodyOverTheLimitGets413AndIsNeitherForwardedNorStored) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(message_text(std::string(65, 'x')));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 413);
  EXPECT_EQ(messages_.messages.size(), 0u);
}

TEST_F(ProxyServicesTest, AMessageToASilentDeviceIsStoredAndAnswered202AfterTheDeliveryTimeout) {
  // RFC 3428: the sender's Timer F is 32 s; its answer must come well before, or it reports a
  // failure and sends the message again (a duplicate for the user).
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  const auto start = txn::Clock::now();
  from_alice(message_text("are you there"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  proxy_.advance(start + std::chrono::seconds(3));
  EXPECT_TRUE(messages_.messages.empty());  // 4 s by default
  proxy_.advance(start + std::chrono::seconds(5));
  ASSERT_EQ(messages_.messages.size(), 1u);
  ASSERT_TRUE(messages_.make_durable());
  io_context_.poll();
  EXPECT_EQ(sent_starting("SIP/2.0 202").size(), 1u);
  EXPECT_EQ(proxy_.counters().stored_on_timeout, 1u);
  // The branch times out later: nothing more goes to the sender, the message stays stored.
  table_.advance(start + std::chrono::seconds(40));
  EXPECT_EQ(sent_starting("SIP/2.0").size(), 1u);
  EXPECT_EQ(messages_.messages.size(), 1u);
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyServicesTest, AnErrorFromOneDeviceDoesNotKeepASilentOnesMessageFromTheStore) {
  // One device refuses (415), the other is silent: at the delivery timeout nobody has the
  // message, so it is stored (202) and not left to end 32 s later with the refusal.
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080"),
                binding("sip:bob@10.0.0.3:5080", "udp:192.0.2.30:5080")});
  const auto start = txn::Clock::now();
  from_alice(message_text("anyone?"));
  ASSERT_EQ(transport_.sent.size(), 2u);
  feed(downstream_response(0, 415), endpoint("192.0.2.20", 5080));
  EXPECT_TRUE(sent_starting("SIP/2.0 415").empty());  // the other branch still runs
  proxy_.advance(start + std::chrono::seconds(5));
  ASSERT_EQ(messages_.messages.size(), 1u);
  ASSERT_TRUE(messages_.make_durable());
  io_context_.poll();
  EXPECT_EQ(sent_starting("SIP/2.0 202").size(), 1u);
  table_.advance(start + std::chrono::seconds(40));
  EXPECT_EQ(sent_starting("SIP/2.0").size(), 1u);
}

TEST_F(ProxyServicesTest, ADeclineFromOneDeviceIsNotOverruledByTheDeliveryTimeout) {
  // §16.7 step 10: a 6xx speaks for the user; the message is not stored behind its back.
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080"),
                binding("sip:bob@10.0.0.3:5080", "udp:192.0.2.30:5080")});
  const auto start = txn::Clock::now();
  from_alice(message_text("anyone?"));
  ASSERT_EQ(transport_.sent.size(), 2u);
  feed(downstream_response(0, 603), endpoint("192.0.2.20", 5080));
  // A non-INVITE cannot be cancelled (§9.1): the decline goes upstream at once, not after the
  // silent branch's 32 s, when the sender would have given up.
  EXPECT_EQ(sent_starting("SIP/2.0 603").size(), 1u);
  proxy_.advance(start + std::chrono::seconds(5));
  EXPECT_TRUE(messages_.messages.empty());
  EXPECT_TRUE(sent_starting("SIP/2.0 202").empty());
  table_.advance(start + std::chrono::seconds(40));
  EXPECT_EQ(sent_starting("SIP/2.0").size(), 1u);
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyServicesTest, AStoredMessageThatItsDeviceAcceptsLateLeavesTheStore) {
  // Stored at the delivery timeout, then the device answers 200 after all: the stored copy is
  // removed, so the user does not get it a second time when it next registers.
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  const auto start = txn::Clock::now();
  from_alice(message_text("late"));
  proxy_.advance(start + std::chrono::seconds(5));
  ASSERT_EQ(messages_.messages.size(), 1u);
  ASSERT_TRUE(messages_.make_durable());
  io_context_.poll();
  feed(downstream_response(0, 200), endpoint("192.0.2.20", 5080));
  EXPECT_TRUE(messages_.messages.empty());
  EXPECT_EQ(messages_.removed.size(), 1u);
  EXPECT_EQ(sent_starting("SIP/2.0").size(), 1u);  // the 202 only: one final response
  EXPECT_EQ(proxy_.active_requests(), 0u);
}

TEST_F(ProxyServicesTest, AMessageAnsweredBeforeTheDeliveryTimeoutIsNotStored) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  const auto start = txn::Clock::now();
  from_alice(message_text("quick"));
  feed(downstream_response(0, 200), endpoint("192.0.2.20", 5080));
  proxy_.advance(start + std::chrono::seconds(5));
  EXPECT_TRUE(messages_.messages.empty());
  EXPECT_EQ(sent_starting("SIP/2.0 200").size(), 1u);
}

TEST_F(ProxyServicesTest, MessageWhoseOnlyBranchAnswers480IsStoredInstead) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(message_text("are you there"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(parsed(0).method(), sip::Method::message);
  feed(downstream_response(0, 480), endpoint("192.0.2.20", 5080));
  ASSERT_EQ(messages_.messages.size(), 1u);
  ASSERT_TRUE(messages_.make_durable());
  io_context_.poll();
  ASSERT_EQ(sent_starting("SIP/2.0").size(), 1u);
  EXPECT_EQ(last().status(), 202);
}

TEST_F(ProxyServicesTest, MessageTooLargeForUdpWithoutAStreamGets513AndIsNotStored) {
  proxy_.attach(
      {.users = nullptr, .offline = &offline_, .im_limits = {}, .trusted_peers = nullptr, .gateway = {}});
  transport_.udp_only = true;
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(message_text(std::string(1300, 'x')));
  ASSERT_EQ(transport_.sent.size(), 1u);  // only the answer: RFC 3428 §8 forbids UDP here
  EXPECT_EQ(last().status(), 513);
  EXPECT_EQ(messages_.messages.size(), 0u);
  std::string small = message_text("short enough");
  small.replace(small.find("z9hG4bKup1"), 10, "z9hG4bKup2");
  from_alice(small);
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(parsed(1).method(), sip::Method::message);  // a small one goes over UDP as before
}

TEST_F(ProxyServicesTest, MessageRefusedByTheCalleeIsNotStored) {
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(message_text("spam"));
  feed(downstream_response(0, 603), endpoint("192.0.2.20", 5080));
  EXPECT_EQ(messages_.messages.size(), 0u);
  EXPECT_EQ(last().status(), 603);
}

}  // namespace
}  // namespace osprey::proxy

namespace osprey::proxy {
namespace {

// Issue #6: the identity the proxy forwards (RFC 3325, RFC 3323) and numbers to the gateway.
class ProxyIdentityTest : public ProxyCoreTest {
 protected:
  // Bob's one binding: the next hop is 192.0.2.20:5080.
  void register_bob_at_192_0_2_20() {
    register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  }

  // The forwarded INVITE from alice to bob, with `extra` header lines (CRLF-terminated).
  sip::Message forwarded_invite(const std::string& extra) {
    from_alice(request_text("INVITE", "sip:bob@example.com", extra));
    const auto invites = sent_starting("INVITE ");
    EXPECT_EQ(invites.size(), 1u);
    return parsed(invites.empty() ? 0 : invites.front());
  }

  // Services with only what a test names (designated initializers would have to name every field).
  static ProxyServices services(const store::UserStore* users, const security::AddressSet* trusted_peers,
                                std::string gateway) {
    ProxyServices attached;
    attached.users = users;
    attached.trusted_peers = trusted_peers;
    attached.gateway = std::move(gateway);
    return attached;
  }

  static security::AddressSet addresses(const std::string& cidr) {
    auto set = security::AddressSet::parse(std::vector<std::string>{cidr});
    EXPECT_TRUE(set) << set.error();
    return set.value_or(security::AddressSet{});
  }
};

TEST_F(ProxyIdentityTest, AssertedIdentityFromAnUntrustedSourceIsRemoved) {
  // RFC 3325 §5: a caller outside the trust domain cannot name itself.
  register_bob_at_192_0_2_20();
  const sip::Message forwarded = forwarded_invite("P-Asserted-Identity: <sip:ceo@example.com>\r\n");
  EXPECT_EQ(forwarded.count(sip::HeaderId::p_asserted_identity), 0u);
}

TEST_F(ProxyIdentityTest, AssertedIdentityFromATrustedPeerStands) {
  register_bob_at_192_0_2_20();
  user_.originator.trusted = true;
  const sip::Message forwarded = forwarded_invite("P-Asserted-Identity: <sip:ceo@example.com>\r\n");
  EXPECT_EQ(forwarded.first_value(sip::HeaderId::p_asserted_identity), "<sip:ceo@example.com>");
}

TEST_F(ProxyIdentityTest, TheAuthenticatedIdentityIsAsserted) {
  // RFC 3325 §6: the proxy asserts who authenticated, whatever the request claimed or preferred.
  register_bob_at_192_0_2_20();
  user_.originator.asserted_identity = "sip:alice@example.com";
  const sip::Message forwarded = forwarded_invite(
      "P-Preferred-Identity: <sip:ceo@example.com>\r\nP-Asserted-Identity: <sip:boss@example.com>\r\n");
  EXPECT_EQ(forwarded.count(sip::HeaderId::p_asserted_identity), 1u);
  EXPECT_EQ(forwarded.first_value(sip::HeaderId::p_asserted_identity), "<sip:alice@example.com>");
  EXPECT_EQ(forwarded.count(sip::HeaderId::p_preferred_identity), 0u);
}

TEST_F(ProxyIdentityTest, PrivacyIdHidesTheIdentityFromAnUntrustedNextHop) {
  // RFC 3325 §7: Privacy: id keeps the asserted identity inside the trust domain.
  register_bob_at_192_0_2_20();
  user_.originator.asserted_identity = "sip:alice@example.com";
  const security::AddressSet peers = addresses("198.51.100.0/24");  // not bob's address
  proxy_.attach(services(nullptr, &peers, {}));
  const sip::Message forwarded = forwarded_invite("Privacy: id\r\n");
  EXPECT_EQ(forwarded.count(sip::HeaderId::p_asserted_identity), 0u);
}

TEST_F(ProxyIdentityTest, PrivacyIdKeepsTheIdentityTowardATrustedNextHop) {
  register_bob_at_192_0_2_20();
  user_.originator.asserted_identity = "sip:alice@example.com";
  const security::AddressSet peers = addresses("192.0.2.20");
  proxy_.attach(services(nullptr, &peers, {}));
  const sip::Message forwarded = forwarded_invite("Privacy: id\r\n");
  EXPECT_EQ(forwarded.first_value(sip::HeaderId::p_asserted_identity), "<sip:alice@example.com>");
}

TEST_F(ProxyIdentityTest, ANumberWithoutAnAccountGoesToTheGateway) {
  security::testing::FakeUserStore users;
  users.add_user("bob", "example.com", "builder");
  proxy_.attach(services(&users, nullptr, "sip:192.0.2.80:5060"));
  from_alice(request_text("INVITE", "sip:011972599950423@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.80", 5060));
  EXPECT_EQ(parsed(0).method(), sip::Method::invite);
  EXPECT_EQ(parsed(0).request_uri().text, "sip:011972599950423@example.com");  // the gateway reads the number
}

TEST_F(ProxyIdentityTest, AUserWithAnAccountDoesNotGoToTheGateway) {
  // A served user without a binding is unreachable (480), not a telephone number.
  security::testing::FakeUserStore users;
  users.add_user("bob", "example.com", "builder");
  users.add_user("5551234", "example.com", "extension");
  proxy_.attach(services(&users, nullptr, "sip:192.0.2.80:5060"));
  from_alice(request_text("INVITE", "sip:5551234@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 480);
}

// Only what osprey routed to the gateway, or what access control cleared for it, is delivered at
// the gateway's address: a Request-URI naming that address directly (by any host name that leads
// there) is refused unless cleared.
TEST_F(ProxyIdentityTest, TheGatewaysAddressTakesOnlyWhatWasClearedForIt) {
  security::testing::FakeUserStore users;
  users.add_user("bob", "example.com", "builder");
  proxy_.attach(services(&users, nullptr, "sip:192.0.2.80:5060"));
  user_.originator.may_reach_gateway = false;
  from_alice(request_text("INVITE", "sip:+4490012345%23@192.0.2.80:5060"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].to, endpoint("192.0.2.9", 5070));  // answered, nothing to the gateway
  EXPECT_EQ(last().status(), 403);
  // osprey's own routing of a number to the gateway needs no clearing: the dial policy ran.
  from_alice(request_text("INVITE", "sip:011972599950423@example.com", "", "z9hG4bKup2"));
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[1].to, endpoint("192.0.2.80", 5060));
  // Cleared (a clean number through the dial policy): delivered.
  user_.originator.may_reach_gateway = true;
  from_alice(request_text("INVITE", "sip:0201234567@192.0.2.80:5060", "", "z9hG4bKup3"));
  ASSERT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(transport_.sent[2].to, endpoint("192.0.2.80", 5060));
}

TEST_F(ProxyIdentityTest, WithoutAGatewayANumberWithoutAnAccountIsUnknown) {
  security::testing::FakeUserStore users;
  users.add_user("bob", "example.com", "builder");
  proxy_.attach(services(&users, nullptr, {}));
  from_alice(request_text("INVITE", "sip:011972599950423@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 404);
}

}  // namespace
}  // namespace osprey::proxy

namespace osprey::proxy {
namespace {

// Where requests for a registered user go (registrar/binding_hop.hpp), and what osprey does when
// the transport it picked fails.
class ProxyBindingTargetTest : public ProxyCoreTest {
 protected:
  std::vector<std::size_t> invites() const { return sent_starting("INVITE "); }

  // An INVITE of about `size` bytes: a long SDP-like body.
  static std::string large_invite(std::size_t size, const std::string& extra = "") {
    const std::string body(size, 'a');
    std::string text =
        request_text("INVITE", "sip:bob@example.com", extra + "Content-Type: application/sdp\r\n");
    const auto length = text.find("Content-Length: 0");
    return text.substr(0, length) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  static std::vector<std::string> record_routes(const sip::Message& message) {
    std::vector<std::string> values;
    message.for_each_element(sip::HeaderId::record_route, [&](std::string_view value) {
      values.emplace_back(value);
      return true;
    });
    return values;
  }
};

TEST_F(ProxyBindingTargetTest, TcpBindingUsesItsConnectionWhileItIsOpen) {
  register_bob({binding("sip:bob@192.0.2.50:5090;transport=tcp", "tcp:192.0.2.20:40001")});
  transport_.open_connection(endpoint("192.0.2.20", 40001), kRegisteringConnection);
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(invites().size(), 1u);
  EXPECT_EQ(transport_.sent[invites()[0]].to, endpoint("192.0.2.20", 40001));
  EXPECT_EQ(transport_.sent[invites()[0]].reuse, net::ConnectionReuse::peer_flow);  // RFC 5626 §5.3
}

// RFC 5626 §5.3: the binding's flow is the connection its REGISTER came on. Once that closed, a
// new connection from the same address and port (the UA reconnecting, or another host behind
// the same NAT handed the port) is not it: requests go to the Contact, over osprey's own
// connection, never into the newcomer's.
TEST_F(ProxyBindingTargetTest, ANewConnectionFromTheSameAddressAndPortIsNotTheBindingsFlow) {
  register_bob({binding("sip:bob@192.0.2.50:5090;transport=tcp", "tcp:192.0.2.20:40001")});
  transport_.open_connection(endpoint("192.0.2.20", 40001), kRegisteringConnection + 1);
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(invites().size(), 1u);
  EXPECT_EQ(transport_.sent[invites()[0]].to, endpoint("192.0.2.50", 5090));
  EXPECT_EQ(transport_.sent[invites()[0]].reuse, net::ConnectionReuse::outbound_only);
}

// RFC 5923 §5, §11: a binding registered over UDP whose Contact names another UA's open TCP
// connection (its address and ephemeral port) must not get requests written into it.
TEST_F(ProxyBindingTargetTest, AContactNamingAnotherUasConnectionMayNotUseIt) {
  register_bob({binding("sip:bob@192.0.2.20:40001;transport=tcp", "udp:192.0.2.30:5060")});
  transport_.open.push_back(endpoint("192.0.2.20", 40001));  // someone else's connection
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(invites().size(), 1u);
  EXPECT_EQ(transport_.sent[invites()[0]].to, endpoint("192.0.2.20", 40001));
  EXPECT_EQ(transport_.sent[invites()[0]].reuse, net::ConnectionReuse::outbound_only);
}

TEST_F(ProxyBindingTargetTest, TcpBindingWhoseConnectionClosedGoesToItsContact) {
  // The ephemeral source port of a closed connection reaches nobody: the Contact's listener does.
  register_bob({binding("sip:bob@192.0.2.50:5090;transport=tcp", "tcp:192.0.2.20:40001")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(invites().size(), 1u);
  EXPECT_EQ(transport_.sent[invites()[0]].to, endpoint("192.0.2.50", 5090));
  EXPECT_NE(parsed(invites()[0]).top_via()->transport.find("TCP"), std::string_view::npos);
}

TEST_F(ProxyBindingTargetTest, ConnectionLostAfterTheChoiceFallsBackToTheContact) {
  register_bob({binding("sip:bob@192.0.2.50:5090;transport=tcp", "tcp:192.0.2.20:40001")});
  transport_.open_connection(endpoint("192.0.2.20", 40001), kRegisteringConnection);
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(invites().size(), 1u);
  table_.on_connection_closed(transport_.last_connection);  // reset under the request
  ASSERT_EQ(invites().size(), 2u);
  EXPECT_EQ(transport_.sent[invites()[1]].to, endpoint("192.0.2.50", 5090));
  EXPECT_EQ(transport_.sent[invites()[1]].reuse, net::ConnectionReuse::outbound_only);  // the Contact
  EXPECT_EQ(sent_starting("SIP/2.0 5").size(), 0u);  // no 500 to the caller
  EXPECT_EQ(proxy_.counters().next_hop_after_transport_error, 1u);
}

TEST_F(ProxyBindingTargetTest, UdpContactOnAnotherPublicAddressIsTheTarget) {
  // A third-party registration, or a UA that sends from another address: §16.6 step 7.
  register_bob({binding("sip:bob@198.51.100.5:5062", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(invites().size(), 1u);
  EXPECT_EQ(transport_.sent[invites()[0]].to, endpoint("198.51.100.5", 5062));
}

TEST_F(ProxyBindingTargetTest, UdpPrivateContactBehindNatGoesToTheSource) {
  register_bob({binding("sip:bob@192.168.1.5:5060", "udp:192.0.2.20:34567")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(invites().size(), 1u);
  EXPECT_EQ(transport_.sent[invites()[0]].to, endpoint("192.0.2.20", 34567));
  EXPECT_EQ(parsed(invites()[0]).request_uri().text, "sip:bob@192.168.1.5:5060");
}

TEST_F(ProxyBindingTargetTest, ContactNamingOspreyItselfIsNotFollowed) {
  register_bob({binding("sip:bob@127.0.0.1:5060", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  EXPECT_EQ(invites().size(), 0u);
  ASSERT_FALSE(transport_.sent.empty());
  EXPECT_EQ(last().status(), 482);
}

TEST_F(ProxyBindingTargetTest, ContactWrittenAsTheGatewayIsNotClearedForIt) {
  // Anyone may write the gateway's URI as a Contact: what reaches the gateway's address through
  // a binding is judged like any other request (Originator::may_reach_gateway).
  ProxyServices services;
  services.gateway = "sip:192.0.2.80:5060";
  proxy_.attach(services);
  register_bob({binding("sip:192.0.2.80:5060", "udp:192.0.2.20:5080")});
  user_.originator.may_reach_gateway = false;
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  EXPECT_EQ(invites().size(), 0u);
  EXPECT_EQ(last().status(), 403);
}

// The gateway is its host: another port or transport of its address is the gateway as much.
TEST_F(ProxyBindingTargetTest, ContactAtAnotherPortOfTheGatewaysHostIsTheGateway) {
  ProxyServices services;
  services.gateway = "sip:192.0.2.80:5060";
  proxy_.attach(services);
  user_.originator.may_reach_gateway = false;
  int attempt = 0;
  for (const char* contact :
       {"sip:+88212345678@192.0.2.80:5099", "sip:+88212345678@192.0.2.80:34537;transport=tcp",
        "sips:+88212345678@192.0.2.80"}) {
    register_bob({binding(contact, "udp:192.0.2.20:5080")});
    from_alice(
        request_text("INVITE", "sip:bob@example.com", "", "z9hG4bK-port-" + std::to_string(++attempt)));
    EXPECT_EQ(invites().size(), 0u) << contact;
    EXPECT_EQ(last().status(), 403) << contact;
  }
}

// An IPv6 spelling that carries the gateway's IPv4 address is the gateway: IPv4-mapped (the
// socket sends there all the same, RFC 4291 §2.5.5.2), IPv4-compatible, SIIT, NAT64 (RFC 6052,
// RFC 8215: a NAT64 network delivers there). Compared as written, each passed for another host.
TEST_F(ProxyBindingTargetTest, ContactAtTheGatewaysIpv4MappedAddressIsTheGateway) {
  ProxyServices services;
  services.gateway = "sip:192.0.2.80:5060";
  proxy_.attach(services);
  user_.originator.may_reach_gateway = false;
  int attempt = 0;
  for (const char* contact :
       {"sip:+88212345678@[::ffff:192.0.2.80]:5060", "sip:+88212345678@[::ffff:c000:250]:5060",
        "sip:+88212345678@[0:0:0:0:0:FFFF:192.0.2.80]:5060", "sip:+88212345678@[::192.0.2.80]:5060",
        "sip:+88212345678@[::ffff:0:192.0.2.80]:5060", "sip:+88212345678@[64:ff9b::192.0.2.80]:5060",
        "sip:+88212345678@[64:ff9b:1::c000:250]:5060"}) {
    register_bob({binding(contact, "udp:192.0.2.20:5080")});
    from_alice(
        request_text("INVITE", "sip:bob@example.com", "", "z9hG4bK-mapped-" + std::to_string(++attempt)));
    EXPECT_EQ(invites().size(), 0u) << contact;
    EXPECT_EQ(last().status(), 403) << contact;
  }
}

TEST_F(ProxyBindingTargetTest, TheAckOfA2xxLeavesWithoutOspreysCredentials) {
  // §22.3, §13.2.2.4: the ACK repeats the INVITE's credentials; osprey's realm's stay here.
  from_alice(
      request_text("ACK", "sip:bob@10.0.0.2:5080",
                   "Route: <sip:127.0.0.1:5060;transport=udp;lr>\r\n"
                   "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n1\", "
                   "uri=\"sip:bob@example.com\", response=\"0123456789abcdef0123456789abcdef\"\r\n"
                   "Proxy-Authorization: Digest username=\"alice\", realm=\"far.example.net\", nonce=\"n2\", "
                   "uri=\"sip:bob@example.com\", response=\"fedcba9876543210fedcba9876543210\"\r\n",
                   "z9hG4bKack1"));
  const auto acks = sent_starting("ACK ");
  ASSERT_EQ(acks.size(), 1u);
  const sip::Message forwarded = parsed(acks[0]);
  ASSERT_EQ(forwarded.count(sip::HeaderId::proxy_authorization), 1u);
  EXPECT_NE(forwarded.first_value(sip::HeaderId::proxy_authorization)->find("far.example.net"),
            std::string_view::npos);
}

TEST_F(ProxyBindingTargetTest, OspreysOwnCredentialsAreNotForwarded) {
  // RFC 3261 §22.3: the Proxy-Authorization for osprey's realm was consumed here; another
  // realm's is for a proxy further on.
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  user_.originator.asserted_identity = "sip:alice@example.com";
  user_.originator.verified_realm = "example.com";
  from_alice(request_text(
      "INVITE", "sip:bob@example.com",
      "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", "
      "nonce=\"n1\", uri=\"sip:bob@example.com\", response=\"0123456789abcdef0123456789abcdef\"\r\n"
      "Proxy-Authorization: Digest username=\"alice\", realm=\"far.example.net\", "
      "nonce=\"n2\", uri=\"sip:bob@example.com\", response=\"fedcba9876543210fedcba9876543210\"\r\n"));
  ASSERT_EQ(invites().size(), 1u);
  const sip::Message forwarded = parsed(invites()[0]);
  ASSERT_EQ(forwarded.count(sip::HeaderId::proxy_authorization), 1u);
  EXPECT_NE(forwarded.first_value(sip::HeaderId::proxy_authorization)->find("far.example.net"),
            std::string_view::npos);
}

TEST_F(ProxyBindingTargetTest, CredentialsForAServedRealmAreRemovedEvenUnverified) {
  // An in-dialog request osprey did not challenge may carry them all the same.
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text(
      "INVITE", "sip:bob@example.com",
      "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", "
      "nonce=\"n1\", uri=\"sip:bob@example.com\", response=\"0123456789abcdef0123456789abcdef\"\r\n"));
  ASSERT_EQ(invites().size(), 1u);
  EXPECT_EQ(parsed(invites()[0]).count(sip::HeaderId::proxy_authorization), 0u);
}

TEST_F(ProxyBindingTargetTest, RegistrationCredentialsReusedInACallAreRemoved) {
  // Authorization for osprey's realm (a UA reusing its REGISTER's answer); the callee's own
  // realm stays: those credentials are for it (§22.2).
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text(
      "INVITE", "sip:bob@example.com",
      "Authorization: Digest username=\"alice\", realm=\"example.com\", "
      "nonce=\"n1\", uri=\"sip:example.com\", response=\"0123456789abcdef0123456789abcdef\"\r\n"
      "Authorization: Digest username=\"alice\", realm=\"bob-phone\", "
      "nonce=\"n2\", uri=\"sip:bob@example.com\", response=\"fedcba9876543210fedcba9876543210\"\r\n"));
  ASSERT_EQ(invites().size(), 1u);
  const sip::Message forwarded = parsed(invites()[0]);
  ASSERT_EQ(forwarded.count(sip::HeaderId::authorization), 1u);
  EXPECT_NE(forwarded.first_value(sip::HeaderId::authorization)->find("bob-phone"), std::string_view::npos);
}

TEST_F(ProxyBindingTargetTest, LargeRequestMovedToTcpRecordRoutesTcp) {
  // §18.1.1: over 1300 bytes, TCP; the Record-Route names it (§16.6 step 4), and the caller's
  // side (UDP) gets its own value (RFC 5658).
  register_bob({binding("sip:bob@198.51.100.5:5062", "udp:198.51.100.5:5062")});
  from_alice(large_invite(1400));
  ASSERT_EQ(invites().size(), 1u);
  const sip::Message forwarded = parsed(invites()[0]);
  EXPECT_NE(forwarded.top_via()->transport.find("TCP"), std::string_view::npos);
  const auto values = record_routes(forwarded);
  ASSERT_EQ(values.size(), 2u);
  EXPECT_NE(values[0].find("transport=tcp"), std::string::npos);
  EXPECT_NE(values[1].find("transport=udp"), std::string::npos);
}

TEST_F(ProxyBindingTargetTest, ConsumedCredentialsDoNotPushARequestOntoTcp) {
  // A call that exceeds 1300 bytes only with the caller's credentials for osprey (as linphone's
  // do once forwarded) fits a datagram without them: it stays on UDP.
  register_bob({binding("sip:bob@198.51.100.5:5062", "udp:198.51.100.5:5062")});
  user_.originator.verified_realm = "example.com";
  const std::string credentials =
      "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"" +
      std::string(43, 'n') + "\", uri=\"sip:bob@example.com\", response=\"" + std::string(64, 'f') +
      "\", algorithm=SHA-256, cnonce=\"0123456789abcdef\", qop=auth, nc=00000001\r\n";
  from_alice(large_invite(630, credentials));
  ASSERT_EQ(invites().size(), 1u);
  const sip::Message forwarded = parsed(invites()[0]);
  EXPECT_GT(transport_.sent[invites()[0]].bytes.size() + credentials.size(), 1300u);
  EXPECT_NE(forwarded.top_via()->transport.find("UDP"), std::string_view::npos);
  EXPECT_EQ(forwarded.count(sip::HeaderId::proxy_authorization), 0u);
}

TEST_F(ProxyBindingTargetTest, RefusedTcpForALargeRequestFallsBackToUdp) {
  // A UA registered over UDP may have no TCP listener: after the refused connection, the
  // datagram, not a 500 to the caller.
  register_bob({binding("sip:bob@198.51.100.5:5062", "udp:198.51.100.5:5062")});
  from_alice(large_invite(1400));
  ASSERT_EQ(invites().size(), 1u);
  table_.on_connection_closed(transport_.last_connection);  // connection refused
  ASSERT_EQ(invites().size(), 2u);
  const sip::Message retried = parsed(invites()[1]);
  EXPECT_EQ(transport_.sent[invites()[1]].to, endpoint("198.51.100.5", 5062));
  EXPECT_NE(retried.top_via()->transport.find("UDP"), std::string_view::npos);
  const auto values = record_routes(retried);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_NE(values[0].find("transport=udp"), std::string::npos);
  EXPECT_EQ(sent_starting("SIP/2.0 5").size(), 0u);
  EXPECT_EQ(proxy_.counters().udp_after_stream_failure, 1u);
  // The UDP branch completes the call as usual.
  feed(downstream_response(invites()[1], 200), endpoint("198.51.100.5", 5062));
  EXPECT_EQ(sent_starting("SIP/2.0 200").size(), 1u);
}

TEST_F(ProxyBindingTargetTest, LargeMessageIsNotRetriedOverUdp) {
  // RFC 3428 §8: a MESSAGE over 1300 bytes never goes over UDP.
  register_bob({binding("sip:bob@198.51.100.5:5062", "udp:198.51.100.5:5062")});
  std::string text = request_text("MESSAGE", "sip:bob@example.com", "Content-Type: text/plain\r\n");
  const std::string body(1400, 'm');
  text = text.substr(0, text.find("Content-Length: 0")) + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
  from_alice(text);
  ASSERT_EQ(sent_starting("MESSAGE ").size(), 1u);
  table_.on_connection_closed(transport_.last_connection);
  EXPECT_EQ(sent_starting("MESSAGE ").size(), 1u);
}

// An in-dialog request whose dialog token names the peer's flow (proxy/dialog_flow_hop.hpp):
// the Request-URI is the peer's Contact, which may name a port where nothing listens (baresip
// over TLS) or a private address (behind NAT).
class ProxyDialogFlowTest : public ProxyBindingTargetTest {
 protected:
  static security::DialogFlow flow(security::FlowProtocol protocol, const char* address, std::uint16_t port) {
    return {protocol, boost::asio::ip::make_address(address), port};
  }
  // The callee's BYE toward the caller's Contact, as access control passes it on.
  void bye_to(const std::string& contact, std::optional<security::DialogFlow> dialog_flow,
              const std::string& branch = "z9hG4bKbye1") {
    user_.originator.dialog_flow = dialog_flow;
    feed(request_text("BYE", contact, "", branch), endpoint("192.0.2.20", 5080));
  }
};

TEST_F(ProxyDialogFlowTest, AByeToTheCallersContactGoesOverItsOpenConnection) {
  proxy_.identity().add_listener(net::Protocol::tcp, endpoint("127.0.0.1", 5060));
  transport_.open.push_back(endpoint("198.51.100.7", 41198));
  bye_to("sip:alice@198.51.100.7:36003;transport=tcp",
         flow(security::FlowProtocol::tcp, "198.51.100.7", 41198));
  const auto byes = sent_starting("BYE ");
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_EQ(transport_.sent[byes[0]].to, endpoint("198.51.100.7", 41198));
  EXPECT_EQ(transport_.sent[byes[0]].reuse, net::ConnectionReuse::peer_flow);  // the signed flow
  const sip::Message bye = parsed(byes[0]);
  EXPECT_NE(bye.top_via()->transport.find("TCP"), std::string_view::npos);
  // §16.6 step 2: the Request-URI stays the caller's Contact.
  EXPECT_EQ(bye.request_uri().text, "sip:alice@198.51.100.7:36003;transport=tcp");
}

TEST_F(ProxyDialogFlowTest, OverTlsTooAndTheAckFollowsTheSameRule) {
  proxy_.identity().add_listener(net::Protocol::tls, endpoint("127.0.0.1", 5061));
  transport_.open.push_back(endpoint("198.51.100.7", 41198));
  bye_to("sip:alice@198.51.100.7:36003;transport=tls",
         flow(security::FlowProtocol::tls, "198.51.100.7", 41198));
  ASSERT_EQ(sent_starting("BYE ").size(), 1u);
  EXPECT_EQ(transport_.sent[sent_starting("BYE ")[0]].to, endpoint("198.51.100.7", 41198));
  EXPECT_NE(parsed(sent_starting("BYE ")[0]).top_via()->transport.find("TLS"), std::string_view::npos);
  // The caller's ACK to a callee on a stream whose Contact is its connection's ephemeral port.
  user_.originator.dialog_flow = flow(security::FlowProtocol::tcp, "192.0.2.20", 40001);
  transport_.open.push_back(endpoint("192.0.2.20", 40001));
  from_alice(request_text("ACK", "sip:bob@192.0.2.20:5099;transport=tcp", "", "z9hG4bKack7"));
  ASSERT_EQ(sent_starting("ACK ").size(), 1u);
  EXPECT_EQ(transport_.sent[sent_starting("ACK ")[0]].to, endpoint("192.0.2.20", 40001));
  EXPECT_EQ(transport_.sent[sent_starting("ACK ")[0]].reuse, net::ConnectionReuse::peer_flow);
}

// Without a flow in its token, an in-dialog request whose Request-URI names an open connection
// someone else opened (its ephemeral port) goes only over a connection osprey opens (RFC 5923 §5).
TEST_F(ProxyDialogFlowTest, ARequestUriNamingAnOpenConnectionIsNotItsFlow) {
  transport_.open.push_back(endpoint("198.51.100.7", 41198));
  bye_to("sip:alice@198.51.100.7:41198;transport=tcp", std::nullopt);
  ASSERT_EQ(sent_starting("BYE ").size(), 1u);
  EXPECT_EQ(transport_.sent[sent_starting("BYE ")[0]].to, endpoint("198.51.100.7", 41198));
  EXPECT_EQ(transport_.sent[sent_starting("BYE ")[0]].reuse, net::ConnectionReuse::outbound_only);
}

TEST_F(ProxyDialogFlowTest, AfterTheConnectionClosedItGoesToTheContact) {
  bye_to("sip:alice@198.51.100.7:36003;transport=tcp",
         flow(security::FlowProtocol::tcp, "198.51.100.7", 41198));
  ASSERT_EQ(sent_starting("BYE ").size(), 1u);
  EXPECT_EQ(transport_.sent[sent_starting("BYE ")[0]].to, endpoint("198.51.100.7", 36003));
}

TEST_F(ProxyDialogFlowTest, ConnectionLostUnderTheRequestFallsBackToTheContact) {
  transport_.open.push_back(endpoint("198.51.100.7", 41198));
  bye_to("sip:alice@198.51.100.7:36003;transport=tcp",
         flow(security::FlowProtocol::tcp, "198.51.100.7", 41198));
  table_.on_connection_closed(transport_.last_connection);
  const auto byes = sent_starting("BYE ");
  ASSERT_EQ(byes.size(), 2u);
  EXPECT_EQ(transport_.sent[byes[1]].to, endpoint("198.51.100.7", 36003));
  EXPECT_EQ(sent_starting("SIP/2.0 5").size(), 0u);
}

TEST_F(ProxyDialogFlowTest, UdpGoesToTheSourceOnlyBehindNat) {
  bye_to("sip:alice@192.168.1.5:5060", flow(security::FlowProtocol::udp, "198.51.100.7", 34567));
  ASSERT_EQ(sent_starting("BYE ").size(), 1u);
  EXPECT_EQ(transport_.sent[sent_starting("BYE ")[0]].to, endpoint("198.51.100.7", 34567));
  EXPECT_EQ(parsed(sent_starting("BYE ")[0]).request_uri().text, "sip:alice@192.168.1.5:5060");
  // A public Contact is honoured, as for bindings.
  bye_to("sip:alice@203.0.113.9:5062", flow(security::FlowProtocol::udp, "198.51.100.7", 34567),
         "z9hG4bKbye2");
  ASSERT_EQ(sent_starting("BYE ").size(), 2u);
  EXPECT_EQ(transport_.sent[sent_starting("BYE ")[1]].to, endpoint("203.0.113.9", 5062));
}

TEST_F(ProxyDialogFlowTest, WithoutAFlowOrAcrossASipsDialogTheRequestUriIsUsed) {
  transport_.open.push_back(endpoint("198.51.100.7", 41198));
  bye_to("sip:alice@198.51.100.7:36003;transport=tcp", std::nullopt);  // a token of old
  ASSERT_EQ(sent_starting("BYE ").size(), 1u);
  EXPECT_EQ(transport_.sent[sent_starting("BYE ")[0]].to, endpoint("198.51.100.7", 36003));
  // sips: goes over TLS only: a TCP flow is not taken for it.
  proxy_.identity().add_listener(net::Protocol::tls, endpoint("127.0.0.1", 5061));
  bye_to("sips:alice@198.51.100.7:36003", flow(security::FlowProtocol::tcp, "198.51.100.7", 41198),
         "z9hG4bKbye3");
  ASSERT_EQ(sent_starting("BYE ").size(), 2u);
  EXPECT_EQ(transport_.sent[sent_starting("BYE ")[1]].to, endpoint("198.51.100.7", 36003));
}

TEST_F(ProxyDialogFlowTest, TheGatewayIsNotReachedThroughAFlowUnjudged) {
  ProxyServices services;
  services.gateway = "sip:192.0.2.80:5060";
  proxy_.attach(services);
  user_.originator.may_reach_gateway = false;
  bye_to("sip:alice@10.0.0.9:5060", flow(security::FlowProtocol::udp, "192.0.2.80", 5060));
  EXPECT_EQ(sent_starting("BYE ").size(), 0u);
  EXPECT_EQ(last().status(), 403);
}

// The tokens osprey issues name the flows: the callee's (in the INVITE's Record-Route) the
// caller's source, the caller's (in the 180's) the address the branch went to.
TEST_F(ProxyDialogFlowTest, EachSidesTokenNamesTheOtherSidesFlow) {
  security::DialogToken::Secret secret{};
  secret.fill(9);
  const security::DialogToken tokens(secret, 3600);
  proxy_.set_dialog_tokens(&tokens);
  register_bob({binding("sip:bob@10.0.0.2:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  ASSERT_EQ(invites().size(), 1u);
  const sip::Message invite = parsed(invites()[0]);
  const auto recorded = invite.first_value(sip::HeaderId::record_route);
  ASSERT_TRUE(recorded);
  std::string ringing = downstream_response(invites()[0], 180, "bt");
  ringing.insert(ringing.find("Content-Length"),
                 "Record-Route: " + std::string(*recorded) + "\r\nContact: <sip:bob@10.0.0.2:5080>\r\n");
  feed(ringing, endpoint("192.0.2.20", 5080));
  const auto up = sent_starting("SIP/2.0 180");
  ASSERT_EQ(up.size(), 1u);
  const auto token_of = [](std::string_view value) {
    auto list = sip::parse_route_list(value, "Record-Route");
    auto token =
        list && !list->empty() ? list->front().uri.param(security::DialogToken::kParam) : std::nullopt;
    return std::string(token.value_or(""));
  };
  const std::string toward_caller = token_of(*recorded);
  const std::string toward_callee = token_of(*parsed(up[0]).first_value(sip::HeaderId::record_route));
  std::optional<security::DialogFlow> seen;
  const security::DialogRequest from_bob{
      "call-1", "bt", "f1", "sip:bob@example.com", "sip:alice@example.com", "192.0.2.9:5070"};
  ASSERT_TRUE(tokens.admits(toward_caller, from_bob, kNow, &seen));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(*seen, flow(security::FlowProtocol::udp, "192.0.2.9", 5070));
  seen.reset();
  const security::DialogRequest from_alice{
      "call-1", "f1", "bt", "sip:alice@example.com", "sip:bob@example.com", "10.0.0.2:5080"};
  ASSERT_TRUE(tokens.admits(toward_callee, from_alice, kNow, &seen));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(*seen, flow(security::FlowProtocol::udp, "192.0.2.20", 5080));
}

// RFC 5626 §5.3, §6: a binding registered with outbound goes over its flow only.
store::Binding outbound_binding(const std::string& contact, const std::string& source,
                                std::uint32_t reg_id = 1) {
  store::Binding b = binding(contact, source);
  b.instance = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
  b.reg_id = reg_id;
  b.outbound = true;
  return b;
}

TEST_F(ProxyCoreTest, AnOutboundBindingWhoseFlowIsGoneIs430AndRemovedWhileTheOtherBindingRings) {
  // bob's TCP flow closed (its connection is not open); his UDP phone is registered too.
  register_bob({outbound_binding("sip:bob@127.0.0.1:40001;transport=tcp", "tcp:127.0.0.1:40001"),
                binding("sip:bob@192.0.2.20:5080", "udp:192.0.2.20:5080")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  const auto invites = sent_starting("INVITE ");
  ASSERT_EQ(invites.size(), 1u);  // never to the dead flow's Contact
  EXPECT_EQ(transport_.sent[invites[0]].to, endpoint("192.0.2.20", 5080));
  EXPECT_EQ(proxy_.counters().flows_failed, 1u);
  // The binding left the location service; the other stays.
  const auto left = store_.lookup(kBobSip, kNow);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].contact, "sip:bob@192.0.2.20:5080");
  // The ringing phone's answer is the one the caller gets.
  feed(downstream_response(invites[0], 486), endpoint("192.0.2.20", 5080));
  EXPECT_EQ(last().status(), 486);
}

TEST_F(ProxyCoreTest, WhenEveryFlowFailedTheCallerGets480NotA430) {
  // RFC 5626 §11.5: 430 is not for endpoints; the user is as unreachable as one without binding.
  register_bob({outbound_binding("sip:bob@127.0.0.1:40001;transport=tcp", "tcp:127.0.0.1:40001")});
  from_alice(request_text("MESSAGE", "sip:bob@example.com"));
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(last().status(), 480);
  EXPECT_TRUE(store_.lookup(kBobSip, kNow).empty());
}

TEST_F(ProxyCoreTest, AnOutboundBindingGoesOverItsOpenFlowOnly) {
  transport_.open_connection(endpoint("127.0.0.1", 40001), kRegisteringConnection);
  register_bob({outbound_binding("sip:bob@127.0.0.1:5099;transport=tcp", "tcp:127.0.0.1:40001")});
  from_alice(request_text("INVITE", "sip:bob@example.com"));
  const auto invites = sent_starting("INVITE ");
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_EQ(transport_.sent[invites[0]].to, endpoint("127.0.0.1", 40001));
  EXPECT_EQ(transport_.sent[invites[0]].reuse, net::ConnectionReuse::peer_flow);
  // The flow closes under the request: 430 for the branch (no second try at the Contact), the
  // binding removed, and the caller told 480.
  table_.on_connection_closed(transport_.last_connection);
  EXPECT_EQ(sent_starting("INVITE ").size(), 1u);
  EXPECT_TRUE(store_.lookup(kBobSip, kNow).empty());
  EXPECT_EQ(last().status(), 480);
}

TEST_F(ProxyCoreTest, AnOutboundUdpBindingGoesToItsSourceNotItsContact) {
  // A public Contact would be tried as written for a plain binding (binding_hop.hpp rule 3).
  register_bob({outbound_binding("sip:bob@198.51.100.50:5060", "udp:192.0.2.20:34567")});
  from_alice(request_text("MESSAGE", "sip:bob@example.com"));
  ASSERT_EQ(sent_starting("MESSAGE ").size(), 1u);
  EXPECT_EQ(transport_.sent[sent_starting("MESSAGE ").front()].to, endpoint("192.0.2.20", 34567));
}

// RFC 3261 §10.3 step 1, RFC 3327 §4.1, RFC 5626 §5.1: a REGISTER osprey forwards to another
// domain carries osprey's Path, with the flow token of the flow it came on, and Supported: path.
TEST_F(ProxyCoreTest, AForwardedRegisterGetsOurPathWithItsFlowTokenAndSupportedPath) {
  security::DialogToken::Secret secret{};
  secret.fill(9);
  const security::DialogToken tokens(secret, 3600);
  proxy_.set_dialog_tokens(&tokens);
  const std::string register_text =
      "REGISTER sip:203.0.113.50 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5070;branch=z9hG4bKreg1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:alice@other.net>;tag=r1\r\nTo: <sip:alice@other.net>\r\n"
      "Call-ID: reg-1\r\nCSeq: 1 REGISTER\r\nSupported: outbound\r\n"
      "Contact: "
      "<sip:alice@10.0.0.5:5060>;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\";reg-id="
      "1\r\n"
      "Content-Length: 0\r\n\r\n";
  from_alice(register_text);
  const auto forwarded = sent_starting("REGISTER ");
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_EQ(transport_.sent[forwarded[0]].to, endpoint("203.0.113.50", 5060));
  const sip::Message out = parsed(forwarded[0]);
  auto path = sip::routes(out, sip::HeaderId::path);
  ASSERT_TRUE(path);
  ASSERT_EQ(path->size(), 1u);
  const sip::Uri& ours = path->front().uri;
  EXPECT_EQ(ours.host, "127.0.0.1");
  EXPECT_TRUE(ours.has_param("lr"));
  EXPECT_TRUE(ours.has_param("ob"));  // the UA supports outbound
  auto flow = tokens.verify_flow(ours.param(sip::kPathFlowParam).value_or(""));
  ASSERT_TRUE(flow);
  EXPECT_EQ(*flow, (security::DialogFlow{security::FlowProtocol::udp,
                                         boost::asio::ip::make_address("192.0.2.9"), 5070}));
  std::vector<std::string> supported;
  out.for_each_element(sip::HeaderId::supported, [&](std::string_view v) {
    supported.emplace_back(v);
    return true;
  });
  EXPECT_EQ(supported, (std::vector<std::string>{"outbound", "path"}));
}

// Along a Path of ours (access control verified its flow token): the request goes over that
// flow, and when the flow is gone the proxy that sent it learns so (430, RFC 5626 §5.3).
TEST_F(ProxyCoreTest, ARequestAlongOurPathGoesOverItsFlowOnlyAndA430GoesBack) {
  user_.originator.path_flow =
      security::DialogFlow{security::FlowProtocol::udp, boost::asio::ip::make_address("198.51.100.7"), 34567};
  from_alice(request_text("MESSAGE", "sip:alice@10.0.0.5:5060"));
  ASSERT_EQ(sent_starting("MESSAGE ").size(), 1u);
  EXPECT_EQ(transport_.sent[sent_starting("MESSAGE ").front()].to, endpoint("198.51.100.7", 34567));

  user_.originator.path_flow =
      security::DialogFlow{security::FlowProtocol::tcp, boost::asio::ip::make_address("198.51.100.7"), 40001};
  from_alice(request_text("MESSAGE", "sip:alice@10.0.0.5:5060", "", "z9hG4bKup2", 2));
  EXPECT_EQ(sent_starting("MESSAGE ").size(), 1u);  // no connection: nothing sent
  EXPECT_EQ(last().status(), 430);
}

}  // namespace
}  // namespace osprey::proxy
